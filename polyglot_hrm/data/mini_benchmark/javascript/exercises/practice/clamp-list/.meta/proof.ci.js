export const clampAll = (values, low, high) => {
  if (low > high) {
    throw new Error('lower bound greater than upper bound');
  }
  return values.map((value) => Math.min(Math.max(value, low), high));
};
