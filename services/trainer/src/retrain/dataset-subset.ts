// Picking images out of a decoded dataset: a seeded class-balanced sample, copies of a subset,
// and the concatenation of two sets (the upload and its replay sample).
import { NUM_CLASSES, PIXELS_PER_IMAGE } from '@visionops/core';
import type { DecodedDataset } from '@visionops/core/dataset';
import { createRandom, mixSeed, permutation } from '../training/random.js';

/**
 * Up to `size` indices, each time from the class with the fewest images so far (counting
 * `alreadyHave`, images per class held elsewhere), drawn from a seeded shuffle of each class. With
 * nothing held elsewhere every class gets the same share as far as its images allow; next to an
 * upload of one class, replay fills the other classes first, so the mix stays balanced.
 */
export function classBalancedSample(
  labels: Uint8Array,
  size: number,
  seed: number,
  alreadyHave: readonly number[] = new Array<number>(NUM_CLASSES).fill(0),
): Int32Array {
  const order = permutation(labels.length, createRandom(mixSeed(seed, 0x7e91a7)));
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (const index of order) byClass[labels[index]!]?.push(index);
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  const picked: number[] = [];
  while (picked.length < size) {
    let next = -1;
    for (let c = 0; c < NUM_CLASSES; c++) {
      if (taken[c]! >= byClass[c]!.length) continue;
      const level = (alreadyHave[c] ?? 0) + taken[c]!;
      if (next < 0 || level < (alreadyHave[next] ?? 0) + taken[next]!) next = c;
    }
    if (next < 0) break;
    picked.push(byClass[next]![taken[next]!++]!);
  }
  return Int32Array.from(picked);
}

/** A copy of the images at `indices` (skipped entries are kept as they are). */
export function subsetDataset(dataset: DecodedDataset, indices: ArrayLike<number>): DecodedDataset {
  const n = indices.length;
  const images = new Uint8Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const index = indices[i]!;
    images.set(
      dataset.images.subarray(index * PIXELS_PER_IMAGE, (index + 1) * PIXELS_PER_IMAGE),
      i * PIXELS_PER_IMAGE,
    );
    labels[i] = dataset.labels[index]!;
  }
  return { images, labels, n, skipped: dataset.skipped };
}

export function concatDatasets(first: DecodedDataset, second: DecodedDataset): DecodedDataset {
  const images = new Uint8Array((first.n + second.n) * PIXELS_PER_IMAGE);
  images.set(first.images.subarray(0, first.n * PIXELS_PER_IMAGE));
  images.set(second.images.subarray(0, second.n * PIXELS_PER_IMAGE), first.n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(first.n + second.n);
  labels.set(first.labels.subarray(0, first.n));
  labels.set(second.labels.subarray(0, second.n), first.n);
  return { images, labels, n: first.n + second.n, skipped: [...first.skipped, ...second.skipped] };
}
