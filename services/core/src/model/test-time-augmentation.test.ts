import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES } from '../labels.js';
import { CIFAR10_NORMALISATION, normalise, PIXELS_PER_IMAGE } from '../preprocess.js';
import { relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { createModel, type ArchitectureSpec } from './architecture.js';
import { evaluateModel, predictProbabilities } from './evaluate-model.js';
import { trainableArchitecture } from './model-card.js';
import { modelFromFiles, modelToFiles } from './model-files.js';
import { testTimeAugmentationOf } from './test-time-augmentation.js';

const FLIP: ArchitectureSpec = { name: 'resnet9', width: 4, testTimeAugmentation: 'flip' };
const PLAIN: ArchitectureSpec = { name: 'resnet9', width: 4 };

/** The NHWC batch with every image mirrored left to right. */
function mirrored(pixels: Float32Array, count: number): Float32Array {
  return tf.tidy(() => tf.reverse(tf.tensor4d(pixels, [count, 32, 32, 3]), 2).dataSync() as Float32Array);
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i]!)), 0);
}

beforeAll(async () => {
  await startWasmAndCpu();
});

describe('test-time augmentation', () => {
  it('when a model is built with flip, then its files carry it and a model loaded from them is served with it', async () => {
    const flip = createModel(FLIP, 3);
    const plain = createModel(PLAIN, 3);
    const flipFiles = await modelToFiles(flip);
    const plainFiles = await modelToFiles(plain);
    expect(
      (JSON.parse(flipFiles.modelJson.toString()) as { userDefinedMetadata?: unknown }).userDefinedMetadata,
    ).toEqual({
      visionops: { testTimeAugmentation: 'flip' },
    });
    expect(JSON.parse(plainFiles.modelJson.toString())).not.toHaveProperty('userDefinedMetadata');
    const [flipLoaded, plainLoaded] = await Promise.all([
      modelFromFiles(flipFiles),
      modelFromFiles(plainFiles),
    ]);
    expect(testTimeAugmentationOf(flipLoaded)).toBe('flip');
    expect(testTimeAugmentationOf(plainLoaded)).toBe('none');
    for (const model of [flip, plain, flipLoaded, plainLoaded]) model.dispose();
  });

  it('when a model is served with flip, then each answer is the mean of the probabilities for the image and its mirror image', () => {
    const count = 5;
    const pixels = seededValues(11, count * PIXELS_PER_IMAGE);
    const flip = createModel(FLIP, 5);
    const plain = createModel(PLAIN, 5); // the same seed: the same weights, served on one view
    const served = predictProbabilities(flip, pixels, count);
    const once = predictProbabilities(plain, pixels, count);
    const onMirror = predictProbabilities(plain, mirrored(pixels, count), count);
    const expected = once.map((p, i) => (p + onMirror[i]!) / 2);
    expect(served).toHaveLength(count * NUM_CLASSES);
    expect(relativeError(served, expected)).toBeLessThan(1e-5);
    // The views differ (the untrained network is not symmetric), so the average is not either one.
    expect(largestDifference(once, onMirror)).toBeGreaterThan(1e-4);
    flip.dispose();
    plain.dispose();
  });

  it('when an image is mirrored, then a flip model answers the same and a plain one does not', () => {
    const count = 4;
    const pixels = seededValues(17, count * PIXELS_PER_IMAGE);
    const mirror = mirrored(pixels, count);
    const flip = createModel(FLIP, 9);
    const plain = createModel(PLAIN, 9);
    expect(
      largestDifference(predictProbabilities(flip, pixels, count), predictProbabilities(flip, mirror, count)),
    ).toBeLessThan(1e-5);
    expect(
      largestDifference(
        predictProbabilities(plain, pixels, count),
        predictProbabilities(plain, mirror, count),
      ),
    ).toBeGreaterThan(1e-4);
    flip.dispose();
    plain.dispose();
  });

  it('when a flip model is evaluated, then the evaluation scores the served (two-view) answers', () => {
    const n = 6;
    const images = new Uint8Array(n * PIXELS_PER_IMAGE).map((_, i) => (i * 37 + (i >> 7)) % 256);
    const normalisation = { ...CIFAR10_NORMALISATION };
    const flip = createModel(FLIP, 21);
    const pixels = normalise(images, normalisation);
    const served = predictProbabilities(flip, pixels, n);
    const labels = new Uint8Array(n).map((_, i) => {
      const row = served.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
      return row.indexOf(Math.max(...row));
    });
    expect(evaluateModel(flip, { images, labels, n }, normalisation, 'served').accuracy).toBe(1);
    flip.dispose();
  });

  it('when a retrain rebuilds its parent, then the parent card’s test-time augmentation comes with the architecture', () => {
    const card = { architecture: { ...FLIP, parameters: 1, inputShape: [32, 32, 3] } };
    expect(trainableArchitecture(card)).toEqual(FLIP);
    expect(
      trainableArchitecture({ architecture: { ...PLAIN, parameters: 1, inputShape: [32, 32, 3] } }),
    ).toEqual(PLAIN);
    expect(
      trainableArchitecture({
        architecture: { name: 'keras', layers: 7, parameters: 1, inputShape: [32, 32, 3] },
      }),
    ).toBeUndefined();
  });
});
