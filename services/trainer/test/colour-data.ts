// Synthetic training data for short training tests, learnable in a few steps, and the recipe
// those tests train it with.
import { CIFAR10_NORMALISATION, PIXELS_PER_IMAGE } from '@visionops/core';
import { NO_AUGMENTATION } from '../src/training/augment.js';
import type { TrainingData, TrainOptions } from '../src/training/data-parallel-trainer.js';
import { createRandom } from '../src/training/random.js';

/** Images whose class is their dominant colour channel plus noise: learnable in a few steps. */
export function colourData(n: number): TrainingData {
  const random = createRandom(42);
  const images = new Uint8Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let p = 0; p < PIXELS_PER_IMAGE; p++) {
      const base = p % 3 === label ? 180 : 60;
      images[i * PIXELS_PER_IMAGE + p] = Math.max(0, Math.min(255, base + Math.floor((random() - 0.5) * 80)));
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  return {
    images,
    labels,
    trainIndices: order.subarray(0, n - 30),
    validationIndices: order.subarray(n - 30),
  };
}

/** A small model, a constant learning rate and no augmentation; tests set the rest. */
export const colourRecipe: Omit<TrainOptions, 'epochs' | 'backend' | 'threads' | 'architecture' | 'seed'> = {
  batchSize: 32,
  schedule: { kind: 'constant', value: 0.05 },
  momentum: 0.9,
  weightDecay: 5e-4,
  labelSmoothing: 0,
  augmentation: NO_AUGMENTATION,
  normalisation: { ...CIFAR10_NORMALISATION },
};
