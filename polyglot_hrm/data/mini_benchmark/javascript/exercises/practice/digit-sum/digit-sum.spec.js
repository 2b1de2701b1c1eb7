import { digitSum } from './digit-sum';

describe('Digit Sum', () => {
  test('single digit', () => {
    expect(digitSum(7)).toEqual(7);
  });

  xtest('several digits', () => {
    expect(digitSum(123)).toEqual(6);
  });

  xtest('repeated nines', () => {
    expect(digitSum(9999)).toEqual(36);
  });

  xtest('zeros inside the number', () => {
    expect(digitSum(1000203)).toEqual(6);
  });

  xtest('large number', () => {
    expect(digitSum(987654321)).toEqual(45);
  });

  xtest('negative number is rejected', () => {
    expect(() => digitSum(-12)).toThrow(new Error('number must be non-negative'));
  });
});
