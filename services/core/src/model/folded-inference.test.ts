import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { createModel } from './architecture.js';
import { inferenceOutputs } from './folded-inference.js';

const BATCH = 3;

beforeAll(async () => {
  await startWasmAndCpu();
});

/**
 * A width-4 ResNet-9 whose normalisation layers hold statistics far from the identity: means,
 * variances, and gammas of both signs, so a fold that drops or misplaces any term shows.
 */
function trainedLookingModel(seed: number, negativeGammas: boolean): tf.LayersModel {
  const model = createModel({ name: 'resnet9', width: 4 }, seed);
  let offset = seed * 1000;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const channels = layer.getWeights()[0]!.shape[0];
    const values = (scale: number, shift: number) =>
      tf.tensor1d(seededValues((offset += 7), channels).map((v) => v * scale + shift));
    tf.tidy(() => {
      const gamma = values(negativeGammas ? 1.5 : 0.5, negativeGammas ? 0 : 1);
      layer.setWeights([gamma, values(0.5, 0), values(0.3, 0), values(0.4, 0.8)]);
    });
  }
  return model;
}

function images(seed: number): tf.Tensor4D {
  return tf.tensor4d(seededValues(seed, BATCH * 32 * 32 * 3), [BATCH, 32, 32, 3]);
}

/** Largest difference between the folded outputs and model.predict, relative to the outputs. */
function foldingError(model: tf.LayersModel, seed: number): number {
  return tf.tidy(() => {
    const x = images(seed);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    return relativeError(inferenceOutputs(model, x).dataSync(), expected);
  });
}

/** The kernels one folded forward pass runs. */
async function kernelsOf(model: tf.LayersModel): Promise<string[]> {
  const x = images(5);
  const info = await tf.profile(() => inferenceOutputs(model, x));
  x.dispose();
  return info.kernels.map((k) => k.name);
}

describe.each(['cpu', 'wasm'])('folded inference on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('when gammas are positive, then every chain folds: no normalisation or ReLU kernel runs, and the outputs equal predict', async () => {
    const model = trainedLookingModel(1, false);
    expect(foldingError(model, 2)).toBeLessThan(1e-4);
    const kernels = await kernelsOf(model);
    expect(kernels).not.toContain('FusedBatchNorm');
    expect(kernels).not.toContain('Relu');
    expect(kernels.filter((name) => name === 'FusedConv2D')).toHaveLength(8);
    model.dispose();
  });

  it('when a pooled chain has a negative scale, then that chain runs unfolded and the outputs still equal predict', async () => {
    const model = trainedLookingModel(3, true);
    expect(foldingError(model, 4)).toBeLessThan(1e-4);
    // The three pooled chains have negative gammas here and keep their normalisation kernel.
    const kernels = await kernelsOf(model);
    expect(kernels.filter((name) => name === 'FusedBatchNorm')).toHaveLength(3);
    model.dispose();
  });

  it('when a weight is replaced after a pass, then the next pass uses the new weight', () => {
    const model = trainedLookingModel(5, false);
    expect(foldingError(model, 6)).toBeLessThan(1e-4);
    const conv = model.getLayer('layer2_conv');
    const [kernel] = conv.getWeights();
    conv.setWeights([tf.mul(kernel!, -2)]);
    const norm = model.getLayer('res1_a_bn');
    const weights = norm.getWeights();
    norm.setWeights([weights[0]!, weights[1]!, tf.add(weights[2]!, 1), weights[3]!]);
    expect(foldingError(model, 6)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('when the model is disposed, then no tensor of the fold is left behind', () => {
    const before = tf.memory().numTensors;
    const model = trainedLookingModel(7, false);
    tf.tidy(() => void inferenceOutputs(model, images(8)).dataSync());
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('when a model has two outputs, then it runs through predict', () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 2, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3, name: 'b' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [a, b] });
    const x = tf.ones([1, 4]) as unknown as tf.Tensor4D;
    const out = inferenceOutputs(model, x) as unknown as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [1, 2],
      [1, 3],
    ]);
    tf.dispose([x, ...out]);
    model.dispose();
  });
});
