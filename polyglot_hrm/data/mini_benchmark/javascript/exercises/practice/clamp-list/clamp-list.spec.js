import { clampAll } from './clamp-list';

describe('Clamp List', () => {
  test('values inside the range are unchanged', () => {
    expect(clampAll([3, 4, 5], 1, 10)).toEqual([3, 4, 5]);
  });

  xtest('values below the range are raised', () => {
    expect(clampAll([-5, 0, 2], 1, 10)).toEqual([1, 1, 2]);
  });

  xtest('values above the range are lowered', () => {
    expect(clampAll([11, 10, 99], 1, 10)).toEqual([10, 10, 10]);
  });

  xtest('negative bounds', () => {
    expect(clampAll([-20, -3, 7], -10, -1)).toEqual([-10, -3, -1]);
  });

  xtest('range of a single value', () => {
    expect(clampAll([1, 2, 3], 2, 2)).toEqual([2, 2, 2]);
  });

  xtest('lower bound above upper bound is rejected', () => {
    expect(() => clampAll([1], 5, 4)).toThrow(new Error('lower bound greater than upper bound'));
  });
});
