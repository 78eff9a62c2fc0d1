// Test helpers for comparing the wasm backend (with the project's training kernels) against the
// stock cpu backend in one process: values travel between backends as plain arrays.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../src/engine/backend.js';

export type ComparedBackend = 'wasm' | 'cpu';

/** Starts both backends once (wasm with the project's kernels) and leaves cpu selected. */
export async function startWasmAndCpu(): Promise<void> {
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
}

/**
 * Runs `compute` with `backend` selected and returns its tensors' values. Tensors must be made
 * inside `compute` so they live on that backend; everything it makes is disposed afterwards.
 */
export async function onBackend(
  backend: ComparedBackend,
  compute: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(compute);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return values;
}

/**
 * max|actual - expected| / max(max|expected|, tiny): the error relative to the largest expected
 * magnitude, not per element. Per-element relative error is meaningless where a gradient entry
 * happens to be close to zero (float32 rounding of a sum of large terms dominates there); scaling
 * by the tensor's largest entry asks "is every entry right to ~1e-4 of the tensor's scale". The
 * `tiny` floor keeps an all-zero expectation from dividing by zero (then it is an absolute error).
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, tiny = 1e-12): number {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  }
  let maxDiff = 0;
  let maxExpected = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    // NaN must fail the comparison, so it is not allowed to vanish in Math.max.
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.POSITIVE_INFINITY;
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
    maxExpected = Math.max(maxExpected, Math.abs(b));
  }
  return maxDiff / Math.max(maxExpected, tiny);
}

/** Deterministic uniform values in [-1, 1) from a 32-bit seed (mulberry32). */
export function seededValues(seed: number, count: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** `count` distinct values in [-1, 1) in a seeded random order: inputs where max pooling has no ties. */
export function distinctValues(seed: number, count: number): Float32Array {
  const order = seededValues(seed, count);
  const ranks = Array.from(order.keys()).sort((a, b) => order[a]! - order[b]!);
  const out = new Float32Array(count);
  ranks.forEach((position, rank) => (out[position] = (2 * rank) / count - 1));
  return out;
}
