const rotate = (char, base, amount) => {
  const offset = (((char.charCodeAt(0) - base + amount) % 26) + 26) % 26;
  return String.fromCharCode(base + offset);
};

export const shift = (text, amount) =>
  text.replace(/[a-z]/gi, (char) =>
    rotate(char, char <= 'Z' ? 'A'.charCodeAt(0) : 'a'.charCodeAt(0), amount),
  );
