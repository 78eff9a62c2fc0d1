// Tests of the wasm 2x2/stride-2 max-pool gradient: equal to the stock cpu gradient where no window
// ties, the stock gradient for every other pool, and the documented behaviour on ties.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  distinctValues,
  onBackend,
  relativeError,
  seededValues,
  startWasmAndCpu,
} from '../../test/tf-backends.js';
import { createMaxPoolGradient } from './max-pool-gradient.js';

interface PoolCase {
  shape: [number, number, number, number];
  pool: number;
  stride: number;
  pad: 'same' | 'valid';
  seed: number;
}

/** Input gradient of sum(maxPool(x) * r) on `backend`; r makes every window's upstream value differ. */
async function poolGradient(backend: 'wasm' | 'cpu', c: PoolCase): Promise<Float32Array> {
  const x = distinctValues(c.seed, tf.util.sizeFromShape(c.shape));
  const [values] = await onBackend(backend, () => {
    const input = tf.tensor4d(x, c.shape);
    const pooled = tf.maxPool(input, c.pool, c.stride, c.pad);
    const r = tf.tensor(seededValues(c.seed + 1, pooled.size), pooled.shape);
    return tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.pool, c.stride, c.pad), r)),
    )(input);
  });
  return values!;
}

async function expectWasmMatchesCpu(c: PoolCase): Promise<void> {
  const wasm = await poolGradient('wasm', c);
  const cpu = await poolGradient('cpu', c);
  // Both pick the same input per window and copy its upstream value: the match is exact.
  expect(relativeError(wasm, cpu), JSON.stringify(c)).toBe(0);
}

/** Records whether the stock gradient was asked for, to see which path the override took. */
function spiedStock(): { stock: GradConfig; calls: () => number } {
  const real = tf.getGradient(tf.MaxPool);
  if (!real) throw new Error('tfjs has no MaxPool gradient');
  let calls = 0;
  const stock: GradConfig = {
    ...real,
    gradFunc: (dy, saved, attrs) => {
      calls += 1;
      return real.gradFunc(dy, saved, attrs);
    },
  };
  return { stock, calls: () => calls };
}

/** Runs the override's gradFunc on `backend` for a pool of the given attributes. */
async function overridePath(backend: 'wasm' | 'cpu', shape: PoolCase['shape'], attrs: NamedAttrMap) {
  const { stock, calls } = spiedStock();
  const gradient = createMaxPoolGradient(stock);
  await onBackend(backend, () => {
    const x = tf.tensor4d(distinctValues(7, tf.util.sizeFromShape(shape)), shape);
    const { filterSize, strides, pad } = attrs as {
      filterSize: number;
      strides: number;
      pad: 'same' | 'valid';
    };
    const y = tf.maxPool(x, filterSize, strides, pad);
    return gradient.gradFunc(tf.onesLike(y), [x, y], attrs)['x']!();
  });
  return calls() > 0 ? 'stock' : 'override';
}

const evenCases: fc.Arbitrary<PoolCase> = fc.record({
  shape: fc.tuple(
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 8 }).map((half) => 2 * half),
    fc.integer({ min: 1, max: 8 }).map((half) => 2 * half),
    fc.integer({ min: 1, max: 32 }),
  ),
  pool: fc.constant(2),
  stride: fc.constant(2),
  pad: fc.constantFrom('same' as const, 'valid' as const),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

describe('max-pool gradient on wasm', () => {
  beforeAll(startWasmAndCpu);

  it('when a 2x2 stride-2 pool of even size has no ties, then wasm matches the stock cpu gradient', async () => {
    await fc.assert(fc.asyncProperty(evenCases, expectWasmMatchesCpu), { seed: 20_250_601, numRuns: 60 });
  });

  // Other pools keep the stock gradient, which on wasm is the stock MaxPoolGrad kernel: the
  // gradient through tf.grad must be exactly what that kernel computes.
  it.each<PoolCase>([
    { shape: [2, 9, 9, 4], pool: 3, stride: 2, pad: 'same', seed: 1 },
    { shape: [2, 8, 8, 4], pool: 3, stride: 2, pad: 'valid', seed: 2 },
    { shape: [1, 7, 5, 3], pool: 2, stride: 2, pad: 'same', seed: 3 },
    { shape: [1, 6, 6, 3], pool: 2, stride: 1, pad: 'valid', seed: 4 },
  ])(
    'when the pool is not 2x2/2 on an even size ($shape, $pool/$stride $pad), then wasm keeps the stock kernel',
    async (c) => {
      const viaGrad = await poolGradient('wasm', c);
      const x = distinctValues(c.seed, tf.util.sizeFromShape(c.shape));
      const [stockKernel] = await onBackend('wasm', () => {
        const input = tf.tensor4d(x, c.shape);
        const output = tf.maxPool(input, c.pool, c.stride, c.pad);
        const dy = tf.tensor(seededValues(c.seed + 1, output.size), output.shape);
        const attrs = { filterSize: c.pool, strides: c.stride, pad: c.pad, dimRoundingMode: undefined };
        return tf.engine().runKernel<tf.Tensor>('MaxPoolGrad', { dy, input, output }, attrs as never);
      });
      expect(relativeError(viaGrad, stockKernel!)).toBe(0);
    },
  );

  it('when a 3x3 stride-2 valid pool falls back on wasm, then it matches the stock cpu gradient', async () => {
    const c: PoolCase = { shape: [2, 9, 9, 4], pool: 3, stride: 2, pad: 'valid', seed: 5 };
    // Overlapping windows add up contributions, in a different order on each backend.
    expect(relativeError(await poolGradient('wasm', c), await poolGradient('cpu', c))).toBeLessThan(1e-6);
  });

  // Upstream defect, not ours: tfjs-backend-wasm 4.22's MaxPoolGrad kernel loses contributions for
  // padded ('same') and stride-1 pools. The model only uses 2x2/2 on even sizes (the override), so
  // it is unaffected. When this starts failing, upstream has fixed the kernel: make it a plain test.
  it.fails.each<PoolCase>([
    { shape: [1, 7, 5, 3], pool: 2, stride: 2, pad: 'same', seed: 3 },
    { shape: [1, 6, 6, 3], pool: 2, stride: 1, pad: 'valid', seed: 4 },
  ])('known upstream bug: the stock wasm gradient of $pool/$stride $pad on $shape differs from cpu', (c) =>
    expectWasmMatchesCpu(c),
  );

  it('when the pool is 2x2/2 on an even size on wasm, then the override runs, else the stock gradient', async () => {
    const twoByTwo = { filterSize: 2, strides: 2, pad: 'valid' };
    expect(await overridePath('wasm', [1, 4, 4, 2], twoByTwo)).toBe('override');
    expect(await overridePath('cpu', [1, 4, 4, 2], twoByTwo)).toBe('stock');
    expect(await overridePath('wasm', [1, 9, 9, 2], { filterSize: 3, strides: 2, pad: 'same' })).toBe(
      'stock',
    );
    expect(await overridePath('wasm', [1, 5, 5, 2], { ...twoByTwo, pad: 'same' })).toBe('stock');
    expect(await overridePath('wasm', [1, 4, 4, 2], { ...twoByTwo, strides: 1 })).toBe('stock');
  });

  it('when a window ties for its maximum on wasm, then every tied input receives the gradient', async () => {
    const [grad] = await onBackend('wasm', () => {
      const x = tf.tensor4d([5, 5, 1, 5], [1, 2, 2, 1]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), 3)))(x);
    });
    expect(Array.from(grad!)).toEqual([3, 3, 0, 3]);
  });
});
