// The wasm gradient of tf.max against the stock cpu gradient: global max pooling shapes, other
// axes, and ties (every tied maximum receives the gradient, as in the stock gradient).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { onBackend, relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';

interface MaxCase {
  shape: [number, number, number, number];
  axes: number[];
  /** Values rounded to this many levels, so ties happen. */
  levels: number | null;
  seed: number;
}

const maxCases: fc.Arbitrary<MaxCase> = fc.record({
  shape: fc.tuple(
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 9 }),
  ),
  axes: fc.constantFrom([1, 2], [3], [0, 1, 2, 3], [1]),
  levels: fc.constantFrom(null, 3),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

function gradientOfMax(c: MaxCase): tf.Tensor {
  const raw = seededValues(c.seed, tf.util.sizeFromShape(c.shape));
  const values = c.levels === null ? raw : raw.map((v) => Math.round(v * c.levels!));
  const x = tf.tensor4d(values, c.shape);
  const upstream = seededValues(c.seed + 1, tf.util.sizeFromShape(tf.max(x, c.axes).shape));
  return tf.grad((t: tf.Tensor) =>
    tf.sum(tf.mul(tf.max(t, c.axes), tf.tensor(upstream, tf.max(t, c.axes).shape))),
  )(x);
}

describe('wasm gradient of tf.max', () => {
  beforeAll(startWasmAndCpu);

  it('when tf.max is differentiated on wasm, then the gradient equals the stock cpu gradient, ties included', async () => {
    await fc.assert(
      fc.asyncProperty(maxCases, async (c) => {
        const [wasm] = await onBackend('wasm', () => gradientOfMax(c));
        const [cpu] = await onBackend('cpu', () => gradientOfMax(c));
        expect(relativeError(wasm!, cpu!), JSON.stringify(c)).toBeLessThanOrEqual(1e-6);
      }),
      { seed: 20_261_207, numRuns: 60 },
    );
  });
});
