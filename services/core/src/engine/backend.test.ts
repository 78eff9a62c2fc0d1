// Tests of the backend choice on this machine, where tfjs-node's native addon is not installed:
// ML_BACKEND=node fails clearly, auto falls through to oneDNN (where its addon is built) or wasm and
// reports why each earlier engine was skipped, and ML_BACKEND=onednn runs convolutions natively.
import * as tf from '@tensorflow/tfjs';
import { loadOnednnAddon } from '@visionops/engine-native';
import { describe, expect, it, vi } from 'vitest';

const onednn = loadOnednnAddon();

// initBackend memoises its first choice per thread: each case loads a fresh copy of the module.
async function freshBackendModule() {
  vi.resetModules();
  return import('./backend.js');
}

describe('initBackend without the tfjs-node native addon', () => {
  it('when ML_BACKEND is node, then it fails naming the preference and the missing addon', async () => {
    const { initBackend } = await freshBackendModule();
    const failure = await initBackend('node').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/^no TensorFlow\.js backend could start for ML_BACKEND=node \(tensorflow: /);
    expect(message).toMatch(/tfjs_binding\.node/);
    // Only the first line of the addon's error: no multi-line stack of hints in the log.
    expect(message).not.toContain('\n');
    expect(tf.getBackend()).not.toBe('tensorflow');
  });

  it('when ML_BACKEND is auto, then it picks oneDNN where its addon is built, else wasm, with the training kernels and the skipped engines', async () => {
    const { initBackend } = await freshBackendModule();
    const choice = await initBackend('auto');
    const tensorflowSkipped = {
      backend: 'tensorflow',
      reason: expect.stringMatching(/native addon/) as unknown,
    };
    if ('addon' in onednn) {
      expect(choice.name).toBe('onednn');
      expect(choice.skipped).toEqual([tensorflowSkipped]);
    } else {
      expect(choice.name).toBe('wasm');
      expect(choice.skipped).toEqual([
        tensorflowSkipped,
        { backend: 'onednn', reason: `oneDNN addon ${onednn.reason}` },
      ]);
    }
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // Later calls return the first choice, whatever they ask for.
    expect(await initBackend('cpu')).toBe(choice);
  });

  it('when ML_BACKEND is onednn, then convolutions run in oneDNN (or it fails saying why the addon is missing)', async () => {
    const { initBackend } = await freshBackendModule();
    if (!('addon' in onednn)) {
      await expect(initBackend('onednn')).rejects.toThrow(`oneDNN addon ${onednn.reason}`);
      return;
    }
    const choice = await initBackend('onednn');
    expect(choice.name).toBe('onednn');
    expect(tf.getBackend()).toBe('wasm');
    // The fresh module copy's counters: a convolution now runs in oneDNN.
    const { onednnKernelStats } = await import('./onednn-kernels.js');
    const before = onednnKernelStats.native;
    tf.tidy(() =>
      tf.conv2d(tf.ones<tf.Rank.R4>([1, 4, 4, 2]), tf.ones<tf.Rank.R4>([3, 3, 2, 2]), 1, 'same').dataSync(),
    );
    expect(onednnKernelStats.native).toBe(before + 1);
    // A case the native kernels hand back runs in the stock wasm kernel it replaced.
    const fallbacks = onednnKernelStats.fallback;
    tf.tidy(() => {
      const filter = tf.ones<tf.Rank.R4>([3, 3, 2, 2]);
      const x = tf.ones<tf.Rank.R4>([1, 4, 4, 2]);
      tf.fused.conv2d({ x, filter, activation: 'sigmoid', pad: 'same', strides: 1 }).dataSync();
    });
    expect(onednnKernelStats.fallback).toBe(fallbacks + 1);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });
});
