export const digitSum = (number) => {
  if (number < 0) {
    throw new Error('number must be non-negative');
  }
  let total = 0;
  for (let rest = number; rest > 0; rest = Math.floor(rest / 10)) {
    total += rest % 10;
  }
  return total;
};
