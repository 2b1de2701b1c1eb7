//
// Starting point for the 'Tally Words' exercise.
// Replace the body of the function below with your own code.
//

export const tally = (text) => {
  throw new Error('Remove this statement and implement the function');
};
