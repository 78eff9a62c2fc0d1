// Leak test of a full training step of the shipped model on wasm (project kernels, max-pool
// gradient, fused batch norm): after a warm-up step, further steps hold no more memory.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededValues } from '../../test/tf-backends.js';
import { NUM_CLASSES } from '../labels.js';
import { createModel, DEFAULT_ARCHITECTURE, INPUT_SHAPE } from '../model/architecture.js';
import { initBackend } from './backend.js';

const BATCH = 4;

/** What the engine and the backend hold: tensors, and backend buffers (which kernels may leak without tensors). */
function held() {
  return { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
}

describe('training the shipped model on wasm', () => {
  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
  });

  it('when training steps follow a warm-up step, then tensors and backend buffers stay the same', () => {
    const model = createModel(DEFAULT_ARCHITECTURE, 3);
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer = tf.train.momentum(0.01, 0.9, true);
    const images = tf.tensor4d(seededValues(1, BATCH * 32 * 32 * 3), [BATCH, ...INPUT_SHAPE]);
    const labels = tf.oneHot(tf.tensor1d([0, 3, 5, 9], 'int32'), NUM_CLASSES);
    const losses: number[] = [];
    // As in the trainer's replica: variableGrads over the trainable variables, then applyGradients.
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(labels, model.apply(images, { training: true }) as tf.Tensor),
          trainable,
        );
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        losses.push(value.dataSync()[0]!);
      });

    step(); // creates the optimizer's momentum slots
    const before = held();
    for (let i = 0; i < 3; i++) step();
    expect(held()).toEqual(before);
    // The steps did train (the same batch, so its loss goes down): the check ran real gradients.
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]!);

    tf.dispose([images, labels]);
    optimizer.dispose();
    model.dispose();
  });
});
