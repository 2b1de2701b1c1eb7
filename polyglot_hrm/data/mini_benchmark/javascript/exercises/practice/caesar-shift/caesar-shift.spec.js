import { shift } from './caesar-shift';

describe('Caesar Shift', () => {
  test('shift by one', () => {
    expect(shift('abc', 1)).toEqual('bcd');
  });

  xtest('wraps around the end of the alphabet', () => {
    expect(shift('xyz', 3)).toEqual('abc');
  });

  xtest('keeps case and leaves other characters alone', () => {
    expect(shift('Hello, World!', 5)).toEqual('Mjqqt, Btwqi!');
  });

  xtest('negative shift moves backwards', () => {
    expect(shift('Bad', -1)).toEqual('Azc');
  });

  xtest('shift larger than the alphabet', () => {
    expect(shift('Zoo', 27)).toEqual('App');
  });

  xtest('digits and spaces are unchanged', () => {
    expect(shift('2 be', 13)).toEqual('2 or');
  });
});
