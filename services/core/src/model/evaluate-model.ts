// Accuracy, per-class accuracy and confusion matrix of a model on a decoded dataset, through the
// same normalise() and forward pass (with the model's test-time augmentation) that serving uses.
import * as tf from '@tensorflow/tfjs';
import { LABELS, NUM_CLASSES } from '../labels.js';
import { normalise, PIXELS_PER_IMAGE, type Normalisation } from '../preprocess.js';
import type { EvaluationMetrics } from './model-card.js';
import { tidyValues } from './tensor-values.js';
import { servedProbabilities } from './test-time-augmentation.js';

export interface EvaluationInput {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
}

/**
 * Class probabilities for a batch of normalised NHWC images: the serving computation, averaged
 * over the model's test-time augmentation views when it has one.
 */
export function predictProbabilities(
  model: tf.LayersModel,
  pixels: Float32Array,
  count: number,
): Float32Array {
  return tidyValues(() => servedProbabilities(model, tf.tensor4d(pixels, [count, 32, 32, 3])));
}

export function evaluateModel(
  model: tf.LayersModel,
  data: EvaluationInput,
  normalisation: Normalisation,
  datasetName: string,
  batchSize = 250,
): EvaluationMetrics {
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  const pixels = new Float32Array(batchSize * PIXELS_PER_IMAGE);
  for (let start = 0; start < data.n; start += batchSize) {
    const count = Math.min(batchSize, data.n - start);
    normalise(
      data.images.subarray(start * PIXELS_PER_IMAGE, (start + count) * PIXELS_PER_IMAGE),
      normalisation,
      pixels,
    );
    const probabilities = predictProbabilities(model, pixels.subarray(0, count * PIXELS_PER_IMAGE), count);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < NUM_CLASSES; c++) {
        if (probabilities[i * NUM_CLASSES + c]! > probabilities[i * NUM_CLASSES + best]!) best = c;
      }
      confusion[data.labels[start + i]!]![best]!++;
    }
  }
  const correct = confusion.reduce((sum, row, c) => sum + row[c]!, 0);
  const perClass = Object.fromEntries(
    LABELS.map((label, c) => {
      const row = confusion[c]!;
      const total = row.reduce((a, b) => a + b, 0);
      return [label, total > 0 ? row[c]! / total : 0];
    }),
  );
  return {
    accuracy: data.n > 0 ? correct / data.n : 0,
    perClass,
    confusion,
    n: data.n,
    dataset: datasetName,
  };
}
