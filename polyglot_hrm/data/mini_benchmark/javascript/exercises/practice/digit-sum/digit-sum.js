//
// Starting point for the 'Digit Sum' exercise.
// Replace the body of the function below with your own code.
//

export const digitSum = (number) => {
  throw new Error('Remove this statement and implement the function');
};
