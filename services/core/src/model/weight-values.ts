// Model weights as plain float arrays in model.weights order: the form they take between threads,
// in checkpoints and in retrain jobs.
import * as tf from '@tensorflow/tfjs';

/** Sets every weight of `model` from `weights` (model.weights order, matching sizes). */
export function setWeightValues(model: tf.LayersModel, weights: readonly Float32Array[]): void {
  if (weights.length !== model.weights.length) {
    throw new Error(`model has ${model.weights.length} weights, got ${weights.length} arrays`);
  }
  tf.tidy(() => model.setWeights(weights.map((w, i) => tf.tensor(w, model.weights[i]!.shape as number[]))));
}
