import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { tidyValues } from './tensor-values.js';

describe('tidyValues', () => {
  it('when a computation makes several tensors, then it answers the values of the returned one and leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const values = tidyValues(() => tf.add(tf.tensor1d([1, 2, 3]), tf.scalar(0.5)));
    expect(Array.from(values)).toEqual([1.5, 2.5, 3.5]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('when the computation throws, then its tensors are disposed and the error comes through', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      tidyValues(() => {
        tf.ones([4]);
        throw new Error('broken');
      }),
    ).toThrow('broken');
    expect(tf.memory().numTensors).toBe(before);
  });
});
