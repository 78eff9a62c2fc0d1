// The sharing Identity on wasm: a clone reads the same values, outlives its source, and the
// memory is released once both are gone; a training step's gradients match the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/conv-cases.js';
import { onBackend, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { registerWasmIdentityKernel } from './wasm-identity.js';

beforeAll(async () => {
  await startWasmAndCpu();
  await tf.setBackend('wasm');
});

describe('Identity on wasm', () => {
  it('when a tensor is cloned, then the clone shares its buffer, outlives the source, and both free it together', () => {
    const before = tf.engine().backend.numDataIds();
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(before + 1);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    copy.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(before);
  });

  it('when registered twice, then the kernel stays the sharing one and strings still clone', () => {
    registerWasmIdentityKernel();
    const s = tf.tensor1d(['a', 'b'], 'string');
    expect(tf.clone(s).arraySync()).toEqual(['a', 'b']);
    const x = tf.ones([2]);
    const before = tf.engine().backend.numDataIds();
    const copy = tf.clone(x);
    expect(tf.engine().backend.numDataIds()).toBe(before);
    tf.dispose([s, x, copy]);
  });

  it('when gradients of a small network are taken, then they match the cpu backend (saved tensors are clones)', async () => {
    const xValues = seededValues(7, 2 * 6 * 6 * 3);
    const filterValues = seededValues(8, 3 * 3 * 3 * 4);
    const gradients = (backend: 'wasm' | 'cpu') =>
      onBackend(backend, () => {
        const x = tf.tensor4d(xValues, [2, 6, 6, 3]);
        const filter = tf.tensor4d(filterValues, [3, 3, 3, 4]);
        const loss = (input: tf.Tensor, w: tf.Tensor) =>
          tf.sum(tf.square(tf.relu(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'))));
        return tf.grads(loss)([x, filter]);
      });
    const [wasm, cpu] = [await gradients('wasm'), await gradients('cpu')];
    expectClose(wasm, cpu, 'input and filter gradients');
    await tf.setBackend('wasm');
  });
});
