// Export to Keras HDF5 and back: the shipped baseline and an imported Keras model give the same
// predictions after the round trip, and the file has the layout Keras' loader reads.
import * as tf from '@tensorflow/tfjs';
import h5wasm, { Dataset, type Group } from 'h5wasm';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  h5wasmFiles,
  kerasFixture,
  MISSING_FIXTURE,
  testImages,
  writeHdf5,
  type TestImages,
} from '@visionops/testkit';
import { initBackend } from '../engine/backend.js';
import { loadModelFromDir } from '../model/model-files.js';
import { repoRoot } from '../paths.js';
import { exportKerasH5 } from './export-keras-h5.js';
import { importKerasModel } from './import-keras-model.js';

const fixture = kerasFixture();

function logits(model: tf.LayersModel, images: TestImages): Float32Array {
  return tf.tidy(
    () =>
      (
        model.predict(tf.tensor4d(images.pixels, [images.count, 32, 32, 3]), { batchSize: 100 }) as tf.Tensor
      ).dataSync() as Float32Array,
  );
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

interface ExportedLayout {
  root: Record<string, unknown>;
  modelWeights: Record<string, unknown>;
  weightNames: Record<string, string[]>;
  datasets: Record<string, number[]>;
}

/** The exported file as h5wasm sees it: attributes, weight_names per layer, dataset shapes. */
async function layoutOf(bytes: Buffer): Promise<ExportedLayout> {
  const { FS } = (await h5wasm.ready) as unknown as {
    FS: { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
  };
  FS.writeFile('/exported-layout.h5', bytes);
  const file = new h5wasm.File('/exported-layout.h5', 'r');
  try {
    const attrs = (node: Group) =>
      Object.fromEntries(Object.entries(node.attrs).map(([k, a]) => [k, a.value]));
    const modelWeights = file.get('model_weights') as Group;
    const weightNames: Record<string, string[]> = {};
    const datasets: Record<string, number[]> = {};
    for (const layer of modelWeights.keys()) {
      const group = modelWeights.get(layer) as Group;
      const names = group.attrs['weight_names']!.value;
      weightNames[layer] = Array.isArray(names) ? (names as string[]) : [];
      for (const name of weightNames[layer]) {
        const dataset = group.get(name);
        if (dataset instanceof Dataset) datasets[`${layer}/${name}`] = dataset.shape ?? [];
      }
    }
    return { root: attrs(file), modelWeights: attrs(modelWeights), weightNames, datasets };
  } finally {
    file.close();
    FS.unlink('/exported-layout.h5');
  }
}

describe('exporting to Keras HDF5', () => {
  let images: TestImages;

  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    images = await testImages(500);
  });

  it('when the shipped baseline is exported, then the file has the legacy Keras layout with standard layers', async () => {
    const model = await loadModelFromDir(join(repoRoot, 'models', 'baseline'));
    try {
      const layout = await layoutOf(await exportKerasH5(model));
      expect(layout.root['keras_version']).toBe('2.15.0');
      expect(layout.root['backend']).toBe('tensorflow');
      const config = JSON.parse(String(layout.root['model_config'])) as {
        class_name: string;
        config: { layers: { class_name: string; config: Record<string, unknown> }[] };
      };
      expect(config.class_name).toBe('Functional');
      const classes = config.config.layers.map((layer) => layer.class_name);
      expect(classes).toContain('BatchNormalization');
      expect(classes).toContain('Rescaling');
      expect(String(layout.root['model_config'])).not.toMatch(/Fused|"distribution": ?"normal"/);
      const bn = config.config.layers.find((layer) => layer.class_name === 'BatchNormalization')!;
      expect(bn.config['axis']).toBe(-1);
      expect(layout.modelWeights['layer_names']).toEqual(model.layers.map((layer) => layer.name));
      expect(layout.modelWeights['keras_version']).toBe('2.15.0');
      expect(layout.weightNames['prep_bn']).toEqual([
        'prep_bn/gamma:0',
        'prep_bn/beta:0',
        'prep_bn/moving_mean:0',
        'prep_bn/moving_variance:0',
      ]);
      expect(layout.weightNames['prep_conv']).toEqual(['prep_conv/kernel:0']);
      expect(layout.weightNames['image']).toEqual([]);
      expect(layout.datasets['prep_conv/prep_conv/kernel:0']).toEqual(
        model.getLayer('prep_conv').weights[0]!.shape,
      );
      expect(layout.datasets['dense/dense/kernel:0']).toEqual([
        model.getLayer('dense').weights[0]!.shape[0],
        10,
      ]);
    } finally {
      model.dispose();
    }
  });

  it('when the shipped baseline is exported and imported again, then its logits on 500 images agree to 1e-5', async () => {
    const model = await loadModelFromDir(join(repoRoot, 'models', 'baseline'));
    const before = tf.memory().numTensors;
    const back = await importKerasModel(await exportKerasH5(model));
    try {
      expect(back.output).toBe('logits');
      expect(back.origin).toMatchObject({ format: 'keras-h5', kerasVersion: '2.15.0' });
      expect(back.parameters).toBe(model.countParams());
      const diff = maxAbsDiff(logits(back.model, images), logits(model, images));
      console.log(
        `baseline round trip on ${images.count} ${images.real ? 'real' : 'synthetic'} images: max |logit diff| = ${diff}`,
      );
      expect(diff).toBeLessThanOrEqual(1e-5);
    } finally {
      back.model.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before - model.weights.length);
    expect(await h5wasmFiles()).toEqual([]);
  });

  it('when an imported Keras model is exported and imported again, then its logits on 500 images agree to 1e-5', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const first = await importKerasModel(fixture);
    const second = await importKerasModel(await exportKerasH5(first.model));
    try {
      expect(second.layers.map((layer) => layer.className)).toEqual(
        first.layers.map((layer) => layer.className),
      );
      expect(second.parameters).toBe(first.parameters);
      expect(maxAbsDiff(logits(second.model, images), logits(first.model, images))).toBeLessThanOrEqual(1e-5);
    } finally {
      first.model.dispose();
      second.model.dispose();
    }
  });

  it('when a model ending in softmax is imported, then it emits the logits and its probabilities are unchanged', async () => {
    // A small Keras-2-style Sequential with a softmax Dense, weights from a TF.js model of the same shape.
    const source = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [32, 32, 3],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          name: 'c',
        }),
        tf.layers.globalAveragePooling2d({ name: 'g' }),
        tf.layers.dense({ units: 10, activation: 'softmax', name: 'd' }),
      ],
    });
    try {
      const imported = await importKerasModel(await exportKerasH5(source));
      try {
        expect(imported.output).toBe('softmax');
        const probabilities = tf.tidy(
          () =>
            tf
              .softmax(
                imported.model.predict(
                  tf.tensor4d(images.pixels.subarray(0, 20 * 3072), [20, 32, 32, 3]),
                ) as tf.Tensor,
              )
              .dataSync() as Float32Array,
        );
        const expected = tf.tidy(
          () =>
            (
              source.predict(tf.tensor4d(images.pixels.subarray(0, 20 * 3072), [20, 32, 32, 3])) as tf.Tensor
            ).dataSync() as Float32Array,
        );
        expect(maxAbsDiff(probabilities, expected)).toBeLessThan(1e-6);
        // The logits are not probabilities: rows do not sum to 1.
        const logitsRow = tf.tidy(() =>
          (
            imported.model.predict(tf.tensor4d(images.pixels.subarray(0, 3072), [1, 32, 32, 3])) as tf.Tensor
          ).dataSync(),
        );
        expect(Math.abs(Array.from(logitsRow).reduce((a, b) => a + b, 0) - 1)).toBeGreaterThan(1e-3);
      } finally {
        imported.model.dispose();
      }
    } finally {
      source.dispose();
    }
  });

  it('when the model name is not ASCII, then model_config stays ASCII JSON that decodes to the name', async () => {
    // TensorFlow.js allows only ASCII layer names; a model name may be anything.
    const input = tf.input({ shape: [32, 32, 3], name: 'image' });
    const output = tf.layers
      .dense({ units: 10, name: 'dense' })
      .apply(tf.layers.flatten({ name: 'flat' }).apply(input)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output, name: 'schätzung' });
    try {
      const layout = await layoutOf(await exportKerasH5(model));
      const text = String(layout.root['model_config']);
      expect(/^[\x20-\x7e]*$/.test(text)).toBe(true);
      expect(text).toContain('\\u00e4');
      expect(JSON.parse(text)).toMatchObject({ config: { name: 'schätzung' } });
    } finally {
      model.dispose();
    }
  });
});

// Keeps writeHdf5 in use for a file written outside the exporter (sanity of the helper itself).
it('when h5wasm writes a file for a test, then nothing stays in its file system', async () => {
  await writeHdf5((file) => file.create_attribute('x', 'y', null, 'A'));
  expect(await h5wasmFiles()).toEqual([]);
});
