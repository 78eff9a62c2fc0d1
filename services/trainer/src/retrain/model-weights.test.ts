// Reading weights.bin by its manifest gives exactly the model's weights, in model.weights order.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { createModel, modelToFiles } from '@visionops/core/model';
import { weightsFromFiles } from './model-weights.js';

describe('weightsFromFiles', () => {
  test('when a saved model is read, then every weight matches the model in order, shape and value', async () => {
    await tf.setBackend('cpu');
    const model = createModel({ name: 'resnet9', width: 4 }, 3);
    const weights = weightsFromFiles(await modelToFiles(model));
    expect(weights).toHaveLength(model.weights.length);
    model.weights.forEach((w, i) => expect(Array.from(weights[i]!)).toEqual(Array.from(w.read().dataSync())));
    model.dispose();
  });

  test('when weights.bin does not match its manifest, then it says so', async () => {
    await tf.setBackend('cpu');
    const model = createModel({ name: 'resnet9', width: 4 }, 3);
    const files = await modelToFiles(model);
    model.dispose();
    expect(() => weightsFromFiles({ ...files, weightsBin: files.weightsBin.subarray(4) })).toThrow(
      /manifest/,
    );
  });
});
