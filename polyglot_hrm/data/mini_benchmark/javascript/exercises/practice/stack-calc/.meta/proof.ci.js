const OPERATIONS = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
};

export const evaluate = (expression) => {
  const stack = [];
  for (const token of expression.split(' ').filter(Boolean)) {
    if (/^-?\d+$/.test(token)) {
      stack.push(Number(token));
    } else if (token in OPERATIONS) {
      if (stack.length < 2) {
        throw new Error('not enough operands');
      }
      const b = stack.pop();
      const a = stack.pop();
      stack.push(OPERATIONS[token](a, b));
    } else {
      throw new Error(`unknown token: ${token}`);
    }
  }
  return stack.pop();
};
