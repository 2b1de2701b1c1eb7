//
// Starting point for the 'Stack Calc' exercise.
// Replace the body of the function below with your own code.
//

export const evaluate = (expression) => {
  throw new Error('Remove this statement and implement the function');
};
