// A seeded, class-stratified split of a dataset into training and validation indices.
import { createRandom, mixSeed, permutation } from './random.js';

/** `limit` keeps a seeded random subset of that many images (for quick runs). */
export function splitTrainValidation(
  labels: Uint8Array,
  validationSize: number,
  seed: number,
  limit = labels.length,
): { trainIndices: Int32Array; validationIndices: Int32Array } {
  const order = permutation(labels.length, createRandom(mixSeed(seed, 0x5eed))).subarray(0, limit);
  const classes = new Set(labels);
  const perClass = Math.floor(Math.min(validationSize, labels.length) / Math.max(1, classes.size));
  const taken = new Map<number, number>();
  const train: number[] = [];
  const validation: number[] = [];
  for (const index of order) {
    const label = labels[index]!;
    const count = taken.get(label) ?? 0;
    if (count < perClass) {
      taken.set(label, count + 1);
      validation.push(index);
    } else {
      train.push(index);
    }
  }
  return { trainIndices: Int32Array.from(train), validationIndices: Int32Array.from(validation) };
}
