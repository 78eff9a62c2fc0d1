// Synthetic training data for short training tests: learnable in a few steps.
import { PIXELS_PER_IMAGE } from '@visionops/core';
import type { TrainingData } from '../src/training/data-parallel-trainer.js';
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
