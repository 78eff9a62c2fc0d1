// The importer against a real Keras 3.5 file this project did not write: its layers and parameter
// count, and its predictions against a forward pass written independently in plain TypeScript.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  argmax,
  buildKerasArchive,
  h5wasmFiles,
  kerasFixture,
  MISSING_FIXTURE,
  readLegacyKerasFile,
  referenceProbabilities,
  testImages,
  type KerasFileContents,
} from '@visionops/testkit';
import { initBackend } from '../engine/backend.js';
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import { importKerasModel, type ImportedKerasModel } from './import-keras-model.js';

const fixture = kerasFixture();

/** Softmax of the model's logits for `count` images of `pixels`, in batches. */
function modelProbabilities(model: tf.LayersModel, pixels: Float32Array, count: number): Float32Array {
  const out = new Float32Array(count * 10);
  for (let start = 0; start < count; start += 250) {
    const n = Math.min(250, count - start);
    const batch = pixels.subarray(start * PIXELS_PER_IMAGE, (start + n) * PIXELS_PER_IMAGE);
    const probabilities = tf.tidy(() =>
      tf.softmax(model.predict(tf.tensor4d(batch, [n, 32, 32, 3])) as tf.Tensor),
    );
    out.set(probabilities.dataSync(), start * 10);
    probabilities.dispose();
  }
  return out;
}

describe('importing a Keras 3.5 HDF5 file written by Keras itself', () => {
  let contents: KerasFileContents;
  let imported: ImportedKerasModel;

  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    if (!fixture) return;
    contents = await readLegacyKerasFile(fixture);
    imported = await importKerasModel(fixture);
    return () => imported.model.dispose();
  });

  it('when imported, then the origin, layers, output kind and parameter count are those of the file', (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    expect(imported.origin).toMatchObject({
      format: 'keras-h5',
      kerasVersion: '3.5.0',
      backend: 'tensorflow',
    });
    expect(imported.origin.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(imported.layers.map((layer) => layer.className)).toEqual([
      'InputLayer',
      'Conv2D',
      'BatchNormalization',
      'MaxPooling2D',
      'Dropout',
      'Conv2D',
      'BatchNormalization',
      'MaxPooling2D',
      'Dropout',
      'Conv2D',
      'BatchNormalization',
      'Flatten',
      'Dense',
      'BatchNormalization',
      'Dropout',
      'Dense',
    ]);
    // The file's last Dense is linear (trained with from_logits=True), so it already emits logits.
    expect(imported.output).toBe('logits');
    expect(imported.parameters).toBe(contents.datasetValues);
    expect(imported.parameters).toBe(123_466);
    expect(imported.model.outputs[0]!.shape).toEqual([null, 10]);
  });

  it('when 300 images go through both, then the probabilities agree to 1e-4 and every argmax agrees', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const images = await testImages(300);
    const actual = modelProbabilities(imported.model, images.pixels, images.count);
    let maxDiff = 0;
    let argmaxAgreement = 0;
    for (let i = 0; i < images.count; i++) {
      const expected = referenceProbabilities(
        contents,
        images.pixels.slice(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
      );
      const row = actual.subarray(i * 10, (i + 1) * 10);
      for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(row[c]! - expected[c]!));
      if (argmax(row) === argmax(expected)) argmaxAgreement++;
    }
    console.log(
      `${images.real ? 'real' : 'synthetic'} images: ${images.count}, max |p_tfjs - p_reference| = ${maxDiff.toExponential(2)}`,
    );
    expect(maxDiff).toBeLessThan(1e-4);
    expect(argmaxAgreement).toBe(images.count);
  });

  it('when served, then it leaves no tensors behind per prediction and no files in h5wasm', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const before = tf.memory().numTensors;
    const again = await importKerasModel(fixture);
    again.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(await h5wasmFiles()).toEqual([]);
  });

  it('when written as a Keras 3 .keras archive (Functional config, Keras 3 spelling), then it predicts as the .h5 does', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const archive = await buildKerasArchive(contents);
    const fromArchive = await importKerasModel(archive);
    try {
      expect(fromArchive.origin).toMatchObject({ format: 'keras-v3', kerasVersion: '3.5.0', backend: null });
      expect(fromArchive.layers[1]).toEqual({ name: 'block_conv2d', className: 'Conv2D' });
      expect(fromArchive.parameters).toBe(imported.parameters);
      const images = await testImages(100);
      const a = modelProbabilities(fromArchive.model, images.pixels, images.count);
      const b = modelProbabilities(imported.model, images.pixels, images.count);
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBe(0);
    } finally {
      fromArchive.model.dispose();
    }
  });
});

describe('accuracy on the CIFAR-10 test images', () => {
  it('when all of test.zip is classified by the imported model and by the reference, then the accuracies agree to 0.1 point', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const images = await testImages(5000);
    if (!images.real)
      return context.skip('test.zip not found (set VISIONOPS_TEST_DATA); accuracy needs the real images');
    expect(images.count).toBe(5000);
    const contents = await readLegacyKerasFile(fixture);
    const { model } = await importKerasModel(fixture);
    let imported = 0;
    let reference = 0;
    try {
      const probabilities = modelProbabilities(model, images.pixels, images.count);
      for (let i = 0; i < images.count; i++) {
        const label = images.labels[i]!;
        if (argmax(probabilities.subarray(i * 10, (i + 1) * 10)) === label) imported++;
        const expected = referenceProbabilities(
          contents,
          images.pixels.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
        );
        if (argmax(expected) === label) reference++;
      }
    } finally {
      model.dispose();
    }
    const importedAccuracy = (100 * imported) / images.count;
    const referenceAccuracy = (100 * reference) / images.count;
    console.log(
      `test.zip (${images.count} images, pixels / 255): imported model ${importedAccuracy.toFixed(2)}%, ` +
        `reference forward pass ${referenceAccuracy.toFixed(2)}%`,
    );
    expect(Math.abs(importedAccuracy - referenceAccuracy)).toBeLessThanOrEqual(0.1);
    // A working CNN on CIFAR-10; chance is 10%.
    expect(importedAccuracy).toBeGreaterThan(50);
  }, 300_000);
});
