// Property tests of the oneDNN kernels (the native addon on the wasm heap) against the stock cpu
// backend: Conv2D and FusedConv2D forward, both gradients called directly and through tf.grads,
// batch normalisation (inference kernel, and the training op with its gradient), ReLU and max
// pooling with their gradients.
// Without the addon the kernel tests are skipped with the reason in their title; under CI=true
// (CI installs libdnnl-dev) a missing addon fails.
import * as tf from '@tensorflow/tfjs';
import { loadOnednnAddon } from '@visionops/engine-native';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkConvGradients,
  checkKernel,
  convCases,
  convEdgeCases,
  describeCase,
  expectClose,
  shapes,
  type ConvCase,
  type GradientKernel,
} from '../../test/conv-cases.js';
import { normCaseArbitrary, normValues, type NormCase } from '../../test/norm-cases.js';
import { onBackend, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { batchNormTraining } from '../model/fused-batch-norm.js';
import { NATIVE_ADD_MIN_ELEMENTS, onednnKernelStats, registerOnednnKernels } from './onednn-kernels.js';

const FC_OPTIONS = { seed: 20_261_207, numRuns: 60 };
const loaded = loadOnednnAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const skipReason = 'reason' in loaded ? loaded.reason : undefined;
if (skipReason) console.warn(`oneDNN kernel tests skipped: the addon is ${skipReason}`);

describe('oneDNN addon', () => {
  it.runIf(process.env['CI'] === 'true')('when CI=true, then the addon is built and loads', () => {
    expect(skipReason, 'CI installs libdnnl-dev, so the addon must build').toBeUndefined();
  });
});

// oneDNN's Winograd convolution (jit_wino_4x3) needs AVX-512 (F, BW, VL, DQ); elsewhere the addon
// runs every convolution directly.
const cpuFlags = new Set(
  (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/),
);
const hasWinograd = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((flag) => cpuFlags.has(flag));

/** The oneDNN implementations that `run` used. */
async function implementationsOf(run: () => Promise<void>): Promise<string[]> {
  onednnKernelStats.implementations.clear();
  await run();
  return [...onednnKernelStats.implementations];
}

/** Runs `check` and asserts that every convolution in it ran in oneDNN (none fell back). */
async function natively(check: () => Promise<void>): Promise<void> {
  const before = { ...onednnKernelStats };
  await check();
  expect(onednnKernelStats.native).toBeGreaterThan(before.native);
  expect(onednnKernelStats.fallback).toBe(before.fallback);
}

interface ForwardOptions {
  fused: boolean;
  activation: 'linear' | 'relu';
  dilation: 1 | 2;
}

/** Conv2D (or FusedConv2D with a bias and the activation) on wasm with oneDNN and on cpu. */
async function checkForward(c: ConvCase, options: ForwardOptions): Promise<void> {
  const s = shapes(c);
  const xValues = seededValues(c.seed, tf.util.sizeFromShape(s.x));
  const filterValues = seededValues(c.seed + 1, tf.util.sizeFromShape(s.filter));
  const biasValues = seededValues(c.seed + 2, c.outChannels);
  const compute = () => {
    const x = tf.tensor4d(xValues, s.x);
    const filter = tf.tensor4d(filterValues, s.filter);
    const dilations = options.dilation;
    if (!options.fused) return tf.conv2d(x, filter, c.stride, c.pad, 'NHWC', dilations);
    const bias = tf.tensor1d(biasValues);
    return tf.fused.conv2d({
      x,
      filter,
      strides: c.stride,
      pad: c.pad,
      dilations,
      bias,
      activation: options.activation,
    });
  };
  const wasm = await onBackend('wasm', compute);
  const cpu = await onBackend('cpu', compute);
  expectClose(wasm, cpu, `forward ${JSON.stringify(options)} ${describeCase(c)}`);
}

// Batch 1 included, and channels past one SIMD width.
const normCases = normCaseArbitrary({ minBatch: 1, batch: 4, spatial: 9, channels: 70, rows: 300 });

/**
 * y, mean, variance, and the gradients of sum(y * upstream) wrt x, gamma, beta; with `relu`, y is
 * rectified (on cpu by the ReLU op after the normalisation, on oneDNN in the same kernels).
 */
function trainingNorm(c: NormCase, relu = false) {
  const v = normValues(c);
  const upstream = tf.tensor(v.upstream, c.shape);
  const args = [tf.tensor(v.x, c.shape), tf.tensor1d(v.gamma), tf.tensor1d(v.beta)];
  const out = batchNormTraining(args[0]!, args[1] as tf.Tensor1D, args[2] as tf.Tensor1D, c.epsilon, relu);
  const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, c.epsilon, relu).y, upstream)),
  )(args);
  return [out.y, out.mean, out.variance, ...grads];
}

/** tf.batchNorm with given statistics (the FusedBatchNorm kernel), with and without scale and offset. */
function inferenceNorm(c: NormCase) {
  const v = normValues(c);
  const x = tf.tensor(v.x, c.shape);
  const [mean, variance, beta, gamma] = [v.mean, v.variance, v.beta, v.gamma].map((values) =>
    tf.tensor1d(values),
  );
  return [tf.batchNorm(x, mean!, variance!, beta, gamma, c.epsilon), tf.batchNorm(x, mean!, variance!)];
}

interface PoolCase {
  batch: number;
  height: number;
  width: number;
  channels: number;
  window: { filterSize: number; strides: number; pad: 'valid' | 'same' };
  seed: number;
}

// Pooling geometries: the model's 2x2/2 (even and odd sizes), overlapping windows, padding.
const poolCases: fc.Arbitrary<PoolCase> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  height: fc.integer({ min: 2, max: 11 }),
  width: fc.integer({ min: 2, max: 11 }),
  channels: fc.integer({ min: 1, max: 37 }),
  window: fc.constantFrom(
    { filterSize: 2, strides: 2, pad: 'valid' as const },
    { filterSize: 3, strides: 1, pad: 'same' as const },
    { filterSize: 3, strides: 2, pad: 'same' as const },
    { filterSize: 2, strides: 1, pad: 'valid' as const },
  ),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

/** maxPool(x) and the gradient of sum(maxPool(x) * upstream) wrt x. */
function pooling(c: PoolCase, values: Float32Array) {
  const { filterSize, strides, pad } = c.window;
  const x = tf.tensor4d(values, [c.batch, c.height, c.width, c.channels]);
  const y = tf.maxPool(x, filterSize, strides, pad);
  const upstream = tf.tensor(seededValues(c.seed + 1, y.size), y.shape);
  const dx = tf.grad((input: tf.Tensor) =>
    tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, filterSize, strides, pad), upstream)),
  )(x);
  return [y, dx];
}

/** relu(x) and the gradient of sum(relu(x) * upstream) wrt x. */
function relu(shape: number[], seed: number) {
  const x = tf.tensor(seededValues(seed, tf.util.sizeFromShape(shape)), shape);
  const upstream = tf.tensor(seededValues(seed + 1, x.size), shape);
  return [tf.relu(x), tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), upstream)))(x)];
}

describe.skipIf(!addon)(
  `oneDNN kernels on the wasm heap${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let restore: (() => void) | undefined;
    beforeAll(async () => {
      await startWasmAndCpu();
      restore = registerOnednnKernels(addon!);
      addon!.setThreads(2);
    });
    afterAll(() => restore?.());

    it('when Conv2D runs, then oneDNN matches cpu', async () => {
      await fc.assert(
        fc.asyncProperty(convCases, (c) =>
          natively(() => checkForward(c, { fused: false, activation: 'linear', dilation: 1 })),
        ),
        FC_OPTIONS,
      );
    });

    it('when FusedConv2D runs with a bias and relu or no activation, then oneDNN matches cpu', async () => {
      const activations = fc.constantFrom('linear' as const, 'relu' as const);
      await fc.assert(
        fc.asyncProperty(convCases, activations, (c, activation) =>
          natively(() => checkForward(c, { fused: true, activation, dilation: 1 })),
        ),
        FC_OPTIONS,
      );
    });

    it('when a stride-1 convolution is dilated, then oneDNN matches cpu', async () => {
      const dilatable = convCases.map((c) => ({
        ...c,
        stride: 1 as const,
        height: c.height + 4,
        width: c.width + 4,
      }));
      await fc.assert(
        fc.asyncProperty(dilatable, (c) =>
          natively(() => checkForward(c, { fused: true, activation: 'relu', dilation: 2 })),
        ),
        { ...FC_OPTIONS, numRuns: 20 },
      );
    });

    it.each<GradientKernel>(['Conv2DBackpropFilter', 'Conv2DBackpropInput'])(
      'when %s is called directly, then oneDNN matches cpu',
      async (kernel) => {
        await fc.assert(
          fc.asyncProperty(convCases, (c) => natively(() => checkKernel(kernel, c))),
          FC_OPTIONS,
        );
      },
    );

    it('when tf.grads differentiates tf.conv2d, then oneDNN matches cpu for x and the filter', async () => {
      await fc.assert(
        fc.asyncProperty(convCases, (c) => natively(() => checkConvGradients(c))),
        { ...FC_OPTIONS, numRuns: 30 },
      );
    });

    it.each(convEdgeCases)('when the case is %j, then forward and both gradients match cpu', async (c) => {
      await natively(() => checkForward(c, { fused: true, activation: 'relu', dilation: 1 }));
      await natively(() => checkKernel('Conv2DBackpropFilter', c));
      await natively(() => checkKernel('Conv2DBackpropInput', c));
      await natively(() => checkConvGradients(c));
    });

    it(`when the algorithm is winograd, then 3x3 stride-1 convolutions ${hasWinograd ? 'run Winograd' : 'run directly (no AVX-512 here)'} and forward and both gradients match cpu`, async () => {
      // A valid 3x3 window needs 3 pixels; the drawn case may have had a 1x1 filter.
      const winogradCases = convCases.map((c) => ({
        ...c,
        kernel: 3 as const,
        stride: 1 as const,
        height: Math.max(c.height, 3),
        width: Math.max(c.width, 3),
      }));
      const previous = addon!.setConvAlgorithm('winograd');
      try {
        const used = await implementationsOf(() =>
          fc.assert(
            fc.asyncProperty(winogradCases, async (c) => {
              await natively(() => checkForward(c, { fused: true, activation: 'relu', dilation: 1 }));
              await natively(() => checkKernel('Conv2DBackpropFilter', c));
              await natively(() => checkKernel('Conv2DBackpropInput', c));
            }),
            { ...FC_OPTIONS, numRuns: 40 },
          ),
        );
        expect(used.some((name) => name.includes('wino'))).toBe(hasWinograd);
      } finally {
        addon!.setConvAlgorithm(previous);
      }
    });

    it('when tf.grads asks for both gradients of a Winograd convolution, then the filter gradient reuses the reorder of dy, and both match cpu', async () => {
      // Record what the kernels pass to the addon: the kind (args[0]) and the same-dy flag (args[24]).
      const calls: { kind: number; sameDy: number }[] = [];
      const recording = {
        ...addon!,
        conv2d: (heap: ArrayBuffer, args: Int32Array) => {
          calls.push({ kind: args[0]!, sameDy: args[24]! });
          return addon!.conv2d(heap, args);
        },
      };
      restore?.();
      const restoreRecording = registerOnednnKernels(recording);
      const previous = addon!.setConvAlgorithm('winograd');
      try {
        const c: ConvCase = {
          batch: 3,
          height: 9,
          width: 7,
          inChannels: 16,
          outChannels: 20,
          kernel: 3,
          stride: 1,
          pad: 'same',
          seed: 5,
        };
        const used = await implementationsOf(() => natively(() => checkConvGradients(c)));
        expect(used.some((name) => name.includes('wino'))).toBe(hasWinograd);
        expect(calls.map((call) => `${call.kind}:${call.sameDy}`)).toEqual(['0:0', '1:0', '2:1']);
        // A filter gradient on its own, or after an input gradient of another dy, reorders its dy.
        calls.length = 0;
        await natively(() => checkKernel('Conv2DBackpropInput', c));
        await natively(() => checkKernel('Conv2DBackpropFilter', c));
        expect(calls.map((call) => `${call.kind}:${call.sameDy}`)).toEqual(['1:0', '2:0']);
      } finally {
        addon!.setConvAlgorithm(previous);
        restoreRecording();
        restore = registerOnednnKernels(addon!);
      }
    });

    it('when the algorithm is auto, then Winograd runs from a batch of 32 with 16 channels in and out, and smaller convolutions run directly', async () => {
      const previous = addon!.setConvAlgorithm('auto');
      try {
        const base = { height: 8, width: 8, kernel: 3, stride: 1, pad: 'same', seed: 7 } as const;
        const large: ConvCase = { ...base, batch: 32, inChannels: 16, outChannels: 24 };
        const cases: [ConvCase, boolean][] = [
          [large, hasWinograd],
          [{ ...large, batch: 31 }, false],
          [{ ...large, inChannels: 15 }, false],
          [{ ...large, kernel: 5 }, false],
          [{ ...large, stride: 2 }, false],
        ];
        for (const [c, winograd] of cases) {
          const used = await implementationsOf(() =>
            natively(async () => {
              await checkForward(c, { fused: true, activation: 'relu', dilation: 1 });
              await checkKernel('Conv2DBackpropFilter', c);
              await checkKernel('Conv2DBackpropInput', c);
            }),
          );
          expect(used.length, describeCase(c)).toBeGreaterThan(0);
          for (const name of used)
            expect(name.includes('wino'), `${describeCase(c)}: ${name}`).toBe(winograd);
        }
        expect(() => addon!.setConvAlgorithm('fastest' as 'auto')).toThrow(/auto.*direct.*winograd/);
      } finally {
        addon!.setConvAlgorithm(previous);
      }
    });

    it('when FusedConv2D asks for an activation oneDNN is not given (sigmoid), then the replaced wasm kernel runs it', async () => {
      const c = convEdgeCases[0]!;
      const s = shapes(c);
      const compute = () =>
        tf.fused.conv2d({
          x: tf.tensor4d(seededValues(c.seed, tf.util.sizeFromShape(s.x)), s.x),
          filter: tf.tensor4d(seededValues(c.seed + 1, tf.util.sizeFromShape(s.filter)), s.filter),
          strides: c.stride,
          pad: c.pad,
          activation: 'sigmoid',
        });
      const before = { ...onednnKernelStats };
      const wasm = await onBackend('wasm', compute);
      expect(onednnKernelStats.fallback).toBe(before.fallback + 1);
      expect(onednnKernelStats.native).toBe(before.native);
      expectClose(wasm, await onBackend('cpu', compute), 'sigmoid fallback');
    });

    it('when batch normalisation trains, then y, the statistics and the three gradients match cpu', async () => {
      await fc.assert(
        fc.asyncProperty(normCases, (c) =>
          natively(async () => {
            const wasm = await onBackend('wasm', () => trainingNorm(c));
            expectClose(
              wasm,
              await onBackend('cpu', () => trainingNorm(c)),
              `training norm ${JSON.stringify(c)}`,
            );
          }),
        ),
        FC_OPTIONS,
      );
    });

    it('when batch normalisation trains with the ReLU after it in the same kernels, then y, the statistics and the three gradients match cpu', async () => {
      await fc.assert(
        fc.asyncProperty(normCases, (c) =>
          natively(async () => {
            await tf.setBackend('wasm');
            const info = await tf.profile(() => tf.dispose(trainingNorm(c, true)));
            // No ReLU kernel and no ReLU gradient: both are inside the normalisation's kernels.
            expect(info.kernels.map((k) => k.name).filter((name) => /relu/i.test(name))).toEqual([]);
            const wasm = await onBackend('wasm', () => trainingNorm(c, true));
            expectClose(
              wasm,
              await onBackend('cpu', () => trainingNorm(c, true)),
              `training norm + relu ${JSON.stringify(c)}`,
            );
          }),
        ),
        FC_OPTIONS,
      );
    });

    it('when batch normalisation infers with given statistics, then it matches cpu', async () => {
      await fc.assert(
        fc.asyncProperty(normCases, (c) =>
          natively(async () => {
            const wasm = await onBackend('wasm', () => inferenceNorm(c));
            expectClose(
              wasm,
              await onBackend('cpu', () => inferenceNorm(c)),
              `inference norm ${JSON.stringify(c)}`,
            );
          }),
        ),
        FC_OPTIONS,
      );
    });

    it('when ReLU and its gradient run, then oneDNN matches cpu, zeros and empty tensors included', async () => {
      const shapesOf = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 });
      await fc.assert(
        fc.asyncProperty(shapesOf, fc.integer({ min: 1, max: 1_000_000 }), (shape, seed) =>
          natively(async () => {
            const wasm = await onBackend('wasm', () => relu(shape, seed));
            expectClose(
              wasm,
              await onBackend('cpu', () => relu(shape, seed)),
              `relu ${JSON.stringify(shape)} ${seed}`,
            );
          }),
        ),
        FC_OPTIONS,
      );
      // Exact zeros take no gradient (as TensorFlow's step(x)); a 200,000-element tensor runs on
      // both threads; an empty one returns an empty result.
      const edges = () => {
        const x = tf.concat([tf.zeros([5]), tf.linspace(-1, 1, 200_000)]);
        return [
          tf.relu(x),
          tf.grad((input: tf.Tensor) => tf.sum(tf.relu(input)))(x),
          tf.relu(tf.zeros([0, 3])),
        ];
      };
      const [wasm, cpu] = [await onBackend('wasm', edges), await onBackend('cpu', edges)];
      expect(wasm[1]!.slice(0, 5)).toEqual(new Float32Array(5));
      expect(wasm[2]).toHaveLength(0);
      expectClose(wasm, cpu, 'relu edges');
    });

    it('when max pooling and its gradient run, then oneDNN matches cpu for every window geometry', async () => {
      await fc.assert(
        fc.asyncProperty(poolCases, (c) =>
          natively(async () => {
            const values = seededValues(c.seed, c.batch * c.height * c.width * c.channels);
            const wasm = await onBackend('wasm', () => pooling(c, values));
            expectClose(wasm, await onBackend('cpu', () => pooling(c, values)), `pool ${JSON.stringify(c)}`);
          }),
        ),
        FC_OPTIONS,
      );
    });

    it('when a pooling window holds its maximum twice, then the gradient goes to the first, as on cpu', async () => {
      // Two-valued inputs tie in most windows, in every position of the window.
      const c: PoolCase = {
        batch: 2,
        height: 8,
        width: 6,
        channels: 19,
        window: { filterSize: 2, strides: 2, pad: 'valid' },
        seed: 7,
      };
      const values = seededValues(3, 2 * 8 * 6 * 19).map((v) => (v > 0 ? 1 : 0));
      for (const window of [c.window, { filterSize: 3, strides: 1, pad: 'same' as const }]) {
        const tied = { ...c, window };
        // Overlapping windows add their gradients in another order than cpu: close, not equal.
        const wasm = await onBackend('wasm', () => pooling(tied, values));
        expectClose(
          wasm,
          await onBackend('cpu', () => pooling(tied, values)),
          `ties ${JSON.stringify(window)}`,
        );
      }
    });

    it('when tensors of one shape are added, then oneDNN matches cpu; small and broadcasting ones stay on wasm', async () => {
      // Large enough to run natively (NATIVE_ADD_MIN_ELEMENTS), on both threads.
      const large = fc.tuple(
        fc.integer({ min: 128, max: 160 }),
        fc.integer({ min: 64, max: 80 }),
        fc.integer({ min: 64, max: 70 }),
      );
      const sumOf = (shape: number[], seed: number) => () => {
        const size = tf.util.sizeFromShape(shape);
        return tf.add(
          tf.tensor(seededValues(seed, size), shape),
          tf.tensor(seededValues(seed + 1, size), shape),
        );
      };
      await fc.assert(
        fc.asyncProperty(large, fc.integer({ min: 1, max: 1_000_000 }), (shape, seed) =>
          natively(async () => {
            expect(tf.util.sizeFromShape(shape)).toBeGreaterThanOrEqual(NATIVE_ADD_MIN_ELEMENTS);
            const sum = sumOf(shape, seed);
            expectClose(
              await onBackend('wasm', sum),
              await onBackend('cpu', sum),
              `add ${JSON.stringify(shape)}`,
            );
          }),
        ),
        { ...FC_OPTIONS, numRuns: 10 },
      );
      const before = { ...onednnKernelStats };
      const small = sumOf([3, 3, 192, 192], 5);
      expectClose(await onBackend('wasm', small), await onBackend('cpu', small), 'small add');
      const broadcast = () => tf.add(tf.ones([3, 4]), tf.tensor1d([1, 2, 3, 4]));
      expectClose(await onBackend('wasm', broadcast), await onBackend('cpu', broadcast), 'broadcast add');
      expect(onednnKernelStats.native).toBe(before.native);
      expect(onednnKernelStats.fallback).toBe(before.fallback + 1);
    });

    it('when a max reduces adjacent axes, then oneDNN matches cpu, with and without keepDims', async () => {
      const cases = fc.record({
        shape: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        start: fc.nat(),
        count: fc.nat(),
        keepDims: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1_000_000 }),
      });
      await fc.assert(
        fc.asyncProperty(cases, ({ shape, start, count, keepDims, seed }) =>
          natively(async () => {
            const first = start % shape.length;
            const axes = Array.from({ length: 1 + (count % (shape.length - first)) }, (_, i) => first + i);
            const reduce = () =>
              tf.max(tf.tensor(seededValues(seed, tf.util.sizeFromShape(shape)), shape), axes, keepDims);
            const label = `max ${JSON.stringify({ shape, axes, keepDims })}`;
            const wasm = await onBackend('wasm', reduce);
            expectClose(wasm, await onBackend('cpu', reduce), label);
          }),
        ),
        FC_OPTIONS,
      );
      // The model's global max pooling, and the gradient through it.
      const pooled = () => {
        const x = tf.tensor4d(seededValues(9, 2 * 4 * 4 * 70), [2, 4, 4, 70]);
        return [tf.max(x, [1, 2]), tf.grad((input: tf.Tensor) => tf.sum(tf.max(input, [1, 2])))(x)];
      };
      expectClose(await onBackend('wasm', pooled), await onBackend('cpu', pooled), 'global max pooling');
    });

    it('when the heap grows between calls, then the next call uses the new buffer', async () => {
      await tf.setBackend('wasm');
      const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
      const heapBefore = backend.wasm.HEAPU8.buffer;
      // A tensor larger than the free heap forces memory.grow, which replaces the ArrayBuffer.
      const big = tf.zeros([heapBefore.byteLength / 4 + 1024]);
      expect(backend.wasm.HEAPU8.buffer).not.toBe(heapBefore);
      await tf.setBackend('cpu');
      await natively(() => checkForward(convEdgeCases[1]!, { fused: true, activation: 'relu', dilation: 1 }));
      big.dispose();
    });
  },
);
