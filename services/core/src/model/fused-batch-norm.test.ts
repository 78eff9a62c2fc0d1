// Tests of the closed-form batch-norm gradient and of FusedBatchNormalization: same gradients as
// tf.moments + tf.batchNorm under tf.grads, same forward behaviour, moving statistics and saved
// format as the standard BatchNormalization layer; the normalisation with its ReLU fused on the
// oneDNN engine trains as the separate pair does and saves as the standard layers.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { loadOnednnAddon } from '@visionops/engine-native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onBackend, relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { normCaseArbitrary, normValues, type NormCase } from '../../test/norm-cases.js';
import { registerOnednnKernels } from '../engine/onednn-kernels.js';
import { createModel } from './architecture.js';
import {
  batchNormTraining,
  FusedBatchNormalization,
  fusedBatchNormalization,
  ReLUAfterNormalization,
} from './fused-batch-norm.js';
import { modelFromFiles, modelToFiles } from './model-files.js';

const TOLERANCE = 1e-4;

type NormFn = (x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D) => tf.Tensor;

/** [dx, dgamma, dbeta, y] of sum(norm(x, gamma, beta) * upstream). */
function gradientsOf(c: NormCase, norm: NormFn): tf.Tensor[] {
  const v = normValues(c);
  const x = tf.tensor(v.x, c.shape);
  const gamma = tf.tensor1d(v.gamma);
  const beta = tf.tensor1d(v.beta);
  const upstream = tf.tensor(v.upstream, c.shape);
  const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(norm(a, g as tf.Tensor1D, b as tf.Tensor1D), upstream));
  return [...tf.grads(loss)([x, gamma, beta]), norm(x, gamma, beta)];
}

function fused(epsilon: number): NormFn {
  return (x, gamma, beta) => batchNormTraining(x, gamma, beta, epsilon).y;
}

/** The composition TensorFlow.js differentiates op by op. */
function composed(epsilon: number): NormFn {
  return (x, gamma, beta) => {
    const { mean, variance } = tf.moments(
      x,
      x.shape.slice(0, -1).map((_, i) => i),
    );
    return tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
  };
}

const normCases = normCaseArbitrary({ minBatch: 2, batch: 4, spatial: 5, channels: 16, rows: 32 });

function expectAllClose(actual: Float32Array[], expected: Float32Array[], label: string): void {
  const names = ['dx', 'dgamma', 'dbeta', 'y'];
  expected.forEach((values, i) => {
    expect(relativeError(actual[i]!, values), `${label} ${names[i]}`).toBeLessThanOrEqual(TOLERANCE);
  });
}

/** A standard BatchNormalization layer (tfjs exports its factory, not the class). */
function standardLayer(args: Parameters<typeof tf.layers.batchNormalization>[0]): tf.layers.Layer {
  return tf.layers.batchNormalization(args);
}

const LAYER_SHAPE = [4, 3, 3, 5];

/** A standard and a fused layer built with the same, non-default, weights. */
function twinLayers() {
  const args = { momentum: 0.9, epsilon: 1e-3, inputShape: LAYER_SHAPE.slice(1) };
  const layers = [standardLayer(args), fusedBatchNormalization(args)];
  const channels = LAYER_SHAPE[3]!;
  const weights = [1, 2, 3, 4].map((seed) => seededValues(seed, channels));
  // gamma, beta, moving mean, moving variance (which must be positive).
  const values = [weights[0]!.map((v) => v + 1.5), weights[1]!, weights[2]!, weights[3]!.map((v) => v + 2)];
  for (const layer of layers) {
    layer.build(LAYER_SHAPE);
    layer.setWeights(values.map((v) => tf.tensor1d(v)));
  }
  return layers as [tf.layers.Layer, tf.layers.Layer];
}

/** Layer.dispose() refuses layers never applied symbolically; their variables are all there is. */
function disposeWeights(layer: tf.layers.Layer): void {
  for (const weight of layer.weights) weight.dispose();
}

function layerInput(seed: number): tf.Tensor {
  return tf.tensor(
    seededValues(seed, tf.util.sizeFromShape(LAYER_SHAPE)).map((v) => 2 * v + 0.5),
    LAYER_SHAPE,
  );
}

describe('batchNormTraining', () => {
  beforeAll(startWasmAndCpu);

  // The reference is always the cpu composition; the fused op runs on both backends.
  it.each([
    { backend: 'cpu' as const, seed: 20_250_601, numRuns: 60 },
    { backend: 'wasm' as const, seed: 20_250_602, numRuns: 30 },
  ])(
    'when differentiated on $backend, then dx, dgamma, dbeta and y match tf.moments + tf.batchNorm on cpu',
    async ({ backend, seed, numRuns }) => {
      await fc.assert(
        fc.asyncProperty(normCases, async (c) => {
          const expected = await onBackend('cpu', () => gradientsOf(c, composed(c.epsilon)));
          const actual = await onBackend(backend, () => gradientsOf(c, fused(c.epsilon)));
          expectAllClose(actual, expected, JSON.stringify(c));
        }),
        { seed, numRuns },
      );
    },
  );

  it('when called, then it returns the biased batch mean and variance per channel', async () => {
    const c: NormCase = { shape: [6, 4], epsilon: 1e-3, seed: 9 };
    const v = normValues(c);
    const [mean, variance] = await onBackend('cpu', () => {
      const out = batchNormTraining(tf.tensor(v.x, c.shape), tf.tensor1d(v.gamma), tf.tensor1d(v.beta), 1e-3);
      tf.dispose(out.y);
      return [out.mean, out.variance];
    });
    for (let channel = 0; channel < 4; channel++) {
      const column = [0, 1, 2, 3, 4, 5].map((row) => v.x[row * 4 + channel]!);
      const m = column.reduce((a, b) => a + b, 0) / 6;
      const s = column.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      expect(mean![channel]).toBeCloseTo(m, 5);
      expect(variance![channel]).toBeCloseTo(s, 5);
    }
  });
});

describe('FusedBatchNormalization layer', () => {
  beforeAll(async () => {
    await startWasmAndCpu();
  });

  it('when training, then output, input gradient and moving statistics equal the standard layer', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      const results = [];
      for (const layer of twinLayers()) {
        const [y, dx, ...moving] = await onBackend(backend, () => {
          const x = layerInput(11);
          const upstream = tf.tensor(seededValues(12, x.size), x.shape);
          const y = layer.apply(x, { training: true }) as tf.Tensor;
          const dx = tf.grad((t: tf.Tensor) =>
            tf.sum(tf.mul(layer.apply(t, { training: true }) as tf.Tensor, upstream)),
          )(x);
          // Two training calls: the moving statistics have moved twice.
          // getWeights() hands out the live variables: copy them, onBackend disposes what it returns.
          return [
            y,
            dx,
            ...layer
              .getWeights()
              .slice(2)
              .map((w) => w.clone()),
          ];
        });
        results.push({ y: y!, dx: dx!, moving });
        disposeWeights(layer);
      }
      const [standard, fusedLayer] = results as [(typeof results)[0], (typeof results)[0]];
      expect(relativeError(fusedLayer.y, standard.y), `${backend} y`).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeError(fusedLayer.dx, standard.dx), `${backend} dx`).toBeLessThanOrEqual(TOLERANCE);
      standard.moving.forEach((values, i) => {
        expect(relativeError(fusedLayer.moving[i]!, values), `${backend} moving ${i}`).toBeLessThanOrEqual(
          1e-6,
        );
      });
      // The statistics did move (momentum 0.9 from the initial values), so the check is not vacuous.
      expect(relativeError(standard.moving[0]!, seededValues(3, 5))).toBeGreaterThan(1e-3);
    }
  });

  it('when not training, then the output is identical to the standard layer', async () => {
    const outputs = [];
    for (const layer of twinLayers()) {
      const [inference, explicitFalse] = await onBackend('cpu', () => [
        layer.apply(layerInput(13)) as tf.Tensor,
        layer.apply(layerInput(13), { training: false }) as tf.Tensor,
      ]);
      outputs.push([inference!, explicitFalse!]);
      disposeWeights(layer);
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });

  it('when a model with it is saved, then it reloads as a standard BatchNormalization with the same weights', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [fusedBatchNormalization({ inputShape: [3, 3, 5], momentum: 0.9, epsilon: 1e-3, name: 'bn' })],
    });
    tf.tidy(() => {
      model.apply(layerInput(14), { training: true });
    });
    const files = await modelToFiles(model);
    const topology = JSON.parse(files.modelJson.toString('utf8')) as {
      modelTopology: { config: { layers: { class_name: string }[] } };
    };
    expect(topology.modelTopology.config.layers.map((layer) => layer.class_name)).toEqual([
      'BatchNormalization',
    ]);

    const reloaded = await modelFromFiles(files);
    const layer = reloaded.getLayer('bn');
    expect(layer).toBeInstanceOf(standardLayer({}).constructor);
    expect(layer).not.toBeInstanceOf(FusedBatchNormalization);
    expect(reloaded.weights.map((w) => w.originalName)).toEqual(model.weights.map((w) => w.originalName));
    const [before, after] = await onBackend('cpu', () =>
      [model, reloaded].map((m) => m.predict(layerInput(15)) as tf.Tensor),
    );
    expect(after).toEqual(before);
    model.dispose();
    reloaded.dispose();
  });
});

describe('normalisation with the ReLU after it, saved', () => {
  it('when the model is saved, then its ReLU layers reload as standard ReLU layers with the same outputs', async () => {
    await tf.setBackend('cpu');
    const model = createModel({ name: 'resnet9', width: 4 }, 3);
    expect(model.layers.filter((layer) => layer instanceof ReLUAfterNormalization)).toHaveLength(8);
    const files = await modelToFiles(model);
    const topology = files.modelJson.toString('utf8');
    expect(topology.match(/"class_name":"ReLU"/g)).toHaveLength(8);
    expect(topology).not.toContain('AfterNormalization');
    expect(topology).not.toContain('reluAfter');
    const reloaded = await modelFromFiles(files);
    expect(reloaded.layers.some((layer) => layer instanceof ReLUAfterNormalization)).toBe(false);
    const [before, after] = await onBackend('cpu', () =>
      [model, reloaded].map(
        (m) => m.predict(tf.tensor4d(seededValues(6, 2 * 32 * 32 * 3), [2, 32, 32, 3])) as tf.Tensor,
      ),
    );
    expect(after).toEqual(before);
    model.dispose();
    reloaded.dispose();
  });
});

const loaded = loadOnednnAddon();
const addon = 'addon' in loaded ? loaded.addon : undefined;
const skipReason = 'reason' in loaded ? loaded.reason : undefined;

describe.skipIf(!addon)(
  `normalisation with the ReLU after it on oneDNN${skipReason ? ` (skipped: the addon is ${skipReason})` : ''}`,
  () => {
    let restore: (() => void) | undefined;
    beforeAll(async () => {
      await startWasmAndCpu();
      await tf.setBackend('wasm');
      restore = registerOnednnKernels(addon!);
    });
    afterAll(() => restore?.());

    it('when the model trains with each pair fused, then no ReLU kernel runs, and the loss, gradients and moving statistics equal the separate pair', async () => {
      await tf.setBackend('wasm');
      const x = tf.tensor4d(seededValues(7, 4 * 32 * 32 * 3), [4, 32, 32, 3]);
      const labels = tf.oneHot(tf.tensor1d([1, 4, 9, 0], 'int32'), 10);
      const step = async (fused: boolean) => {
        const model = createModel({ name: 'resnet9', width: 8 }, 4);
        const norms = model.layers.filter((layer) => layer instanceof FusedBatchNormalization);
        expect(norms).toHaveLength(8);
        norms.forEach((layer) => (layer.reluAfter = fused));
        const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
        let values: Float32Array[] = [];
        const info = await tf.profile(() => {
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(
              () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
              weights,
            );
            values = [value, ...weights.map((w) => grads[w.name]!)].map((t) => t.dataSync() as Float32Array);
          });
        });
        const moving = model.weights
          .filter((w) => w.originalName.includes('moving'))
          .map((w) => w.read().dataSync() as Float32Array);
        model.dispose();
        const count = (name: string) => info.kernels.filter((k) => k.name === name).length;
        return { values: [...values, ...moving], relu: count('Relu'), reluGrad: count('VisionopsReluGrad') };
      };
      const separate = await step(false);
      const fused = await step(true);
      expect([separate.relu, separate.reluGrad]).toEqual([8, 8]);
      expect([fused.relu, fused.reluGrad]).toEqual([0, 0]);
      expect(fused.values).toHaveLength(separate.values.length);
      fused.values.forEach((values, i) => {
        expect(relativeError(values, separate.values[i]!), `value ${i}`).toBeLessThanOrEqual(1e-5);
      });
      tf.dispose([x, labels]);
    });
  },
);
