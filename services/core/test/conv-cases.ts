// Convolution cases for the property tests of the engine's kernels against the cpu backend: random
// shapes within a work budget, edge cases the property may rarely draw, and the checks themselves
// (the kernel called directly, and tf.grads of tf.conv2d), run on wasm with whichever kernels are
// registered and on cpu.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { expect } from 'vitest';
import { onBackend, relativeError, seededValues } from './tf-backends.js';

const TOLERANCE = 1e-4;

// Multiply-adds of one forward convolution; cases above this get smaller spatial sizes so the
// cpu reference stays fast (the whole file runs in a few seconds).
const WORK_BUDGET = 1_500_000;

export interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: 1 | 3 | 5;
  stride: 1 | 2;
  pad: 'same' | 'valid';
  seed: number;
}

export function outSize(size: number, c: ConvCase): number {
  return c.pad === 'same' ? Math.ceil(size / c.stride) : Math.ceil((size - c.kernel + 1) / c.stride);
}

function work(c: ConvCase): number {
  return (
    c.batch * outSize(c.height, c) * outSize(c.width, c) * c.kernel * c.kernel * c.inChannels * c.outChannels
  );
}

/** Channels up to 64 and batches up to 8, with spatial sizes (odd and even) shrunk to fit the budget. */
export const convCases: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 8 }),
    inChannels: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 })),
    outChannels: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 })),
    kernel: fc.constantFrom(1 as const, 3 as const, 5 as const),
    stride: fc.constantFrom(1 as const, 2 as const),
    pad: fc.constantFrom('same' as const, 'valid' as const),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .chain((base) => {
    const minSize = base.pad === 'valid' ? base.kernel : 1;
    return fc
      .record({ height: fc.integer({ min: minSize, max: 13 }), width: fc.integer({ min: minSize, max: 13 }) })
      .map((size) => shrinkToBudget({ ...base, ...size }, minSize));
  });

function shrinkToBudget(c: ConvCase, minSize: number): ConvCase {
  const shrunk = { ...c };
  while (work(shrunk) > WORK_BUDGET && (shrunk.height > minSize || shrunk.width > minSize)) {
    if (shrunk.height >= shrunk.width) shrunk.height = Math.max(minSize, shrunk.height - 2);
    else shrunk.width = Math.max(minSize, shrunk.width - 2);
  }
  while (work(shrunk) > WORK_BUDGET && shrunk.batch > 1) shrunk.batch -= 1;
  return shrunk;
}

export function shapes(c: ConvCase) {
  return {
    x: [c.batch, c.height, c.width, c.inChannels] as [number, number, number, number],
    filter: [c.kernel, c.kernel, c.inChannels, c.outChannels] as [number, number, number, number],
    dy: [c.batch, outSize(c.height, c), outSize(c.width, c), c.outChannels] as [
      number,
      number,
      number,
      number,
    ],
  };
}

export function describeCase(c: ConvCase): string {
  return JSON.stringify(c);
}

// Shapes the property may rarely draw: the shipped model's first convolution and its res1
// block, 64 channels in and out, a single pixel, strides that skip trailing rows or columns.
export const convEdgeCases: ConvCase[] = [
  {
    batch: 2,
    height: 32,
    width: 32,
    inChannels: 3,
    outChannels: 16,
    kernel: 3,
    stride: 1,
    pad: 'same',
    seed: 1,
  },
  {
    batch: 2,
    height: 16,
    width: 16,
    inChannels: 32,
    outChannels: 32,
    kernel: 3,
    stride: 1,
    pad: 'same',
    seed: 2,
  },
  {
    batch: 1,
    height: 4,
    width: 4,
    inChannels: 64,
    outChannels: 64,
    kernel: 3,
    stride: 1,
    pad: 'same',
    seed: 3,
  },
  {
    batch: 1,
    height: 1,
    width: 1,
    inChannels: 5,
    outChannels: 7,
    kernel: 5,
    stride: 2,
    pad: 'same',
    seed: 4,
  },
  {
    batch: 3,
    height: 6,
    width: 7,
    inChannels: 2,
    outChannels: 3,
    kernel: 3,
    stride: 2,
    pad: 'valid',
    seed: 5,
  },
  {
    batch: 8,
    height: 5,
    width: 5,
    inChannels: 1,
    outChannels: 1,
    kernel: 5,
    stride: 1,
    pad: 'valid',
    seed: 6,
  },
  {
    batch: 1,
    height: 9,
    width: 2,
    inChannels: 64,
    outChannels: 1,
    kernel: 1,
    stride: 2,
    pad: 'valid',
    seed: 7,
  },
];

async function onWasmAndCpu(compute: () => tf.Tensor | tf.Tensor[]) {
  const wasm = await onBackend('wasm', compute);
  const cpu = await onBackend('cpu', compute);
  return { wasm, cpu };
}

export function expectClose(wasm: Float32Array[], cpu: Float32Array[], label: string): void {
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((expected, i) => {
    expect(relativeError(wasm[i]!, expected), `${label} output ${i}`).toBeLessThanOrEqual(TOLERANCE);
  });
}

export type GradientKernel = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';

/** Calls the kernel with the attributes tf.conv2d's gradient passes, on wasm and on cpu. */
export async function checkKernel(kernel: GradientKernel, c: ConvCase): Promise<void> {
  const s = shapes(c);
  // The filter gradient takes the input x, the input gradient takes the filter; both take dy.
  const forFilter = kernel === 'Conv2DBackpropFilter';
  const otherShape = forFilter ? s.x : s.filter;
  const otherValues = seededValues(c.seed, tf.util.sizeFromShape(otherShape));
  const dyValues = seededValues(c.seed + 1, tf.util.sizeFromShape(s.dy));
  const { wasm, cpu } = await onWasmAndCpu(() => {
    const dy = tf.tensor4d(dyValues, s.dy);
    const other = tf.tensor4d(otherValues, otherShape);
    const attrs = {
      strides: [c.stride, c.stride],
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      ...(forFilter ? { filterShape: s.filter } : { inputShape: s.x }),
    };
    const inputs: tf.NamedTensorMap = forFilter ? { x: other, dy } : { dy, filter: other };
    return tf.engine().runKernel<tf.Tensor>(kernel, inputs, attrs as never);
  });
  expectClose(wasm, cpu, `${kernel} ${describeCase(c)}`);
}

/** Gradients of sum(conv2d(x, f) * r) wrt x and f: r makes the upstream gradient non-uniform. */
export async function checkConvGradients(c: ConvCase): Promise<void> {
  const s = shapes(c);
  const xValues = seededValues(c.seed, tf.util.sizeFromShape(s.x));
  const filterValues = seededValues(c.seed + 1, tf.util.sizeFromShape(s.filter));
  const weights = seededValues(c.seed + 2, tf.util.sizeFromShape(s.dy));
  const { wasm, cpu } = await onWasmAndCpu(() => {
    const r = tf.tensor4d(weights, s.dy);
    const loss = (x: tf.Tensor, f: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad), r));
    return tf.grads(loss)([tf.tensor4d(xValues, s.x), tf.tensor4d(filterValues, s.filter)]);
  });
  expectClose(wasm, cpu, `tf.grads(conv2d) ${describeCase(c)}`);
}
