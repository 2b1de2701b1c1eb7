import { evaluate } from './stack-calc';

describe('Stack Calc', () => {
  test('addition', () => {
    expect(evaluate('1 2 +')).toEqual(3);
  });

  xtest('subtraction keeps operand order', () => {
    expect(evaluate('10 4 -')).toEqual(6);
  });

  xtest('longer expression', () => {
    expect(evaluate('5 1 2 + 4 * + 3 -')).toEqual(14);
  });

  xtest('negative numbers', () => {
    expect(evaluate('-3 4 *')).toEqual(-12);
  });

  xtest('not enough operands', () => {
    expect(() => evaluate('1 +')).toThrow(new Error('not enough operands'));
  });

  xtest('unknown token', () => {
    expect(() => evaluate('2 x')).toThrow(new Error('unknown token: x'));
  });
});
