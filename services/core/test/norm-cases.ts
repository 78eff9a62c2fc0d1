// Batch-normalisation cases for property tests: random NHWC or [rows, channels] shapes, and
// seeded inputs off-centre per channel and not unit-scale, so a wrong mean or variance term shows.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { seededValues } from './tf-backends.js';

export interface NormCase {
  shape: number[];
  epsilon: number;
  seed: number;
}

/** Shapes within the given sizes: [batch, h, w, channels] or [rows, channels]. */
export function normCaseArbitrary(max: {
  minBatch: number;
  batch: number;
  spatial: number;
  channels: number;
  rows: number;
}) {
  return fc.record<NormCase>({
    shape: fc.oneof(
      fc.tuple(
        fc.integer({ min: max.minBatch, max: max.batch }),
        fc.integer({ min: 1, max: max.spatial }),
        fc.integer({ min: 1, max: max.spatial }),
        fc.integer({ min: 1, max: max.channels }),
      ),
      fc.tuple(fc.integer({ min: 2, max: max.rows }), fc.integer({ min: 1, max: max.channels })),
    ),
    epsilon: fc.constantFrom(1e-3, 1e-5),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });
}

/** x, the upstream gradient, gamma and beta, and moving statistics (variance positive). */
export function normValues(c: NormCase) {
  const channels = c.shape[c.shape.length - 1]!;
  return {
    x: seededValues(c.seed, tf.util.sizeFromShape(c.shape)).map((v, i) => 3 * v + (i % channels) - 1),
    gamma: seededValues(c.seed + 1, channels).map((v) => v + 1.5),
    beta: seededValues(c.seed + 2, channels),
    upstream: seededValues(c.seed + 3, tf.util.sizeFromShape(c.shape)),
    mean: seededValues(c.seed + 4, channels),
    variance: seededValues(c.seed + 5, channels).map((v) => v + 2),
  };
}
