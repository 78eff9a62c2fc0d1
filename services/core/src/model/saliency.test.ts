// Saliency maps against models small enough to work out by hand: a linear model, whose input
// gradient is its weight column whatever the noise or the path, and one ReLU unit, whose gradient
// SmoothGrad's noise switches on for about half of the copies; then the ResNet on wasm against cpu.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES } from '../labels.js';
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import { relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { createModel } from './architecture.js';
import { integratedGradientsSaliency, saliencyMaps, smoothGradSaliency } from './saliency.js';

const position = (row: number, column: number) => row * 32 + column;

/** Flatten then Dense without bias, with the given (input index, class, weight) entries. */
function linearModel(entries: [number, number, number][], relu = false): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [32, 32, 3] }),
      tf.layers.dense({ units: NUM_CLASSES, useBias: false, activation: relu ? 'relu' : 'linear' }),
    ],
  });
  const weights = new Float32Array(PIXELS_PER_IMAGE * NUM_CLASSES);
  for (const [input, c, w] of entries) weights[input * NUM_CLASSES + c] = w;
  model.layers[1]!.setWeights([tf.tensor2d(weights, [PIXELS_PER_IMAGE, NUM_CLASSES])]);
  return model;
}

beforeAll(async () => {
  await startWasmAndCpu();
});

describe('integratedGradientsSaliency', () => {
  it('when the model is linear, then each map is |sum over channels of weight x input| for the chosen class', () => {
    const a = position(3, 4);
    const b = position(31, 0);
    const model = linearModel([
      [a * 3 + 0, 6, 2],
      [a * 3 + 2, 6, -1],
      [b * 3 + 1, 6, 4],
    ]);
    const input = new Float32Array(PIXELS_PER_IMAGE).fill(0.7);
    input[a * 3 + 0] = 0.5;
    input[a * 3 + 2] = 3;
    input[b * 3 + 1] = -0.25;
    const [map] = integratedGradientsSaliency(model, input, 1, [6], 5);
    const expected = new Float32Array(1024);
    expected[a] = Math.abs(2 * 0.5 - 1 * 3); // the two channels partly cancel: 2
    expected[b] = Math.abs(4 * -0.25); // 1
    expect(relativeError(map!, expected)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('when a ReLU unit turns on half-way along the path, then the pixel gets the output change, not the gradient at the image', () => {
    const p = position(0, 31);
    // relu(2 * x - 1) with x = 1: on from x = 0.5; the output goes from 0 to 1 along the path.
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [32, 32, 3] }),
        tf.layers.dense({ units: NUM_CLASSES, activation: 'relu' }),
      ],
    });
    const weights = new Float32Array(PIXELS_PER_IMAGE * NUM_CLASSES);
    weights[(p * 3 + 2) * NUM_CLASSES + 0] = 2;
    const bias = new Float32Array(NUM_CLASSES);
    bias[0] = -1;
    model.layers[1]!.setWeights([tf.tensor2d(weights, [PIXELS_PER_IMAGE, NUM_CLASSES]), tf.tensor1d(bias)]);
    const input = new Float32Array(PIXELS_PER_IMAGE);
    input[p * 3 + 2] = 1;
    const [map] = saliencyMaps(model, input, 1, [0], {
      method: 'integrated-gradients',
      samples: 10,
      noise: 0,
    });
    // Half of the 10 midpoints lie where the unit is on, each with gradient 2: (5 * 2 / 10) * 1 = 1.
    expect(map![p]).toBeCloseTo(1, 6);
    expect(map!.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1, 6);
    model.dispose();
  });
});

describe('smoothGradSaliency', () => {
  it('when the model is linear, then each map is the largest absolute weight over the channels of the chosen class', () => {
    const a = position(5, 7);
    const b = position(20, 30);
    const model = linearModel([
      [a * 3 + 0, 2, 2],
      [a * 3 + 1, 2, -3],
      [b * 3 + 2, 2, 0.5],
      [b * 3 + 0, 4, 1.25],
    ]);
    const input = seededValues(7, 2 * PIXELS_PER_IMAGE);
    const [forClass2, forClass4] = smoothGradSaliency(model, input, 2, [2, 4], { samples: 4, noise: 0.2 });
    const expected2 = new Float32Array(1024);
    expected2[a] = 3;
    expected2[b] = 0.5;
    const expected4 = new Float32Array(1024);
    expected4[b] = 1.25;
    expect(relativeError(forClass2!, expected2)).toBeLessThan(1e-6);
    expect(relativeError(forClass4!, expected4)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('when a ReLU is off at the input, then the plain gradient is zero and noise turns it on for about half of the copies', () => {
    const p = position(10, 10);
    const model = linearModel([[p * 3 + 1, 3, 1]], true);
    // The pixel sits exactly at the ReLU's kink from below: off without noise.
    const input = new Float32Array(PIXELS_PER_IMAGE).fill(-1e-3);
    input[0] = 1; // a value range of about 1, so the noise's standard deviation is about `noise`
    const [plain] = smoothGradSaliency(model, input, 1, [3], { samples: 1, noise: 0 });
    expect(Math.max(...plain!)).toBe(0);
    const [smoothed] = smoothGradSaliency(model, input, 1, [3], { samples: 400, noise: 0.2, seed: 3 });
    expect(smoothed![p]).toBeGreaterThan(0.4);
    expect(smoothed![p]).toBeLessThan(0.6);
    expect(smoothed!.reduce((sum, v) => sum + v, 0)).toBeCloseTo(smoothed![p]!, 6);
    model.dispose();
  });

  it('when the same image is explained twice, then the map is the same (seeded noise)', () => {
    const model = createModel({ name: 'resnet9', width: 4 }, 2);
    const input = seededValues(11, PIXELS_PER_IMAGE);
    const [first] = smoothGradSaliency(model, input, 1, [1], { samples: 3, noise: 0.15 });
    const [second] = smoothGradSaliency(model, input, 1, [1], { samples: 3, noise: 0.15 });
    expect(second).toEqual(first);
    model.dispose();
  });

  it('when the ResNet runs on wasm with the training kernels, then its maps match the cpu backend', async () => {
    const input = seededValues(5, 2 * PIXELS_PER_IMAGE);
    const maps: Float32Array[][] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const model = createModel({ name: 'resnet9', width: 4 }, 3);
      maps.push(smoothGradSaliency(model, input, 2, [0, 9], { samples: 2, noise: 0.15 }));
      model.dispose();
    }
    await tf.setBackend('cpu');
    const [cpu, wasm] = maps;
    expect(Math.max(...cpu![0]!)).toBeGreaterThan(0);
    expect(relativeError(wasm![0]!, cpu![0]!)).toBeLessThan(1e-3);
    expect(relativeError(wasm![1]!, cpu![1]!)).toBeLessThan(1e-3);
  });
});
