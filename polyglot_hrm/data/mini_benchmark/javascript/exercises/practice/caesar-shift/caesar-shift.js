//
// Starting point for the 'Caesar Shift' exercise.
// Replace the body of the function below with your own code.
//

export const shift = (text, amount) => {
  throw new Error('Remove this statement and implement the function');
};
