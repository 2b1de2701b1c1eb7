//
// Starting point for the 'Clamp List' exercise.
// Replace the body of the function below with your own code.
//

export const clampAll = (values, low, high) => {
  throw new Error('Remove this statement and implement the function');
};
