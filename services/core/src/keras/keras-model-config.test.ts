// Keras 2 and Keras 3 spellings of one model give the same imported model, and the final softmax
// is removed (or refused) by the rules of the output.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  kerasFixture,
  MISSING_FIXTURE,
  readLegacyKerasFile,
  testImages,
  writeLegacyKerasFile,
  type KerasFileContents,
  type TestImages,
} from '@visionops/testkit';
import { initBackend } from '../engine/backend.js';
import { importKerasModel, type ImportedKerasModel } from './import-keras-model.js';
import { KerasImportError } from './keras-import-error.js';
import { readKerasModelConfig, toLogitsOutput } from './keras-model-config.js';

const fixture = kerasFixture();

type Json = Record<string, unknown>;
type LayerEntry = { class_name: string; config: Json };

function logits(model: tf.LayersModel, images: TestImages): Float32Array {
  return tf.tidy(
    () =>
      (
        model.predict(tf.tensor4d(images.pixels, [images.count, 32, 32, 3])) as tf.Tensor
      ).dataSync() as Float32Array,
  );
}

/** The fixture's layers in Keras 2 spelling: dtype strings, no module keys. */
function keras2Layers(contents: KerasFileContents): LayerEntry[] {
  const layers = structuredClone((contents.modelConfig['config'] as { layers: LayerEntry[] }).layers);
  for (const layer of layers) {
    layer.config['dtype'] = 'float32';
    for (const value of Object.values(layer.config)) {
      if (typeof value === 'object' && value !== null) delete (value as Json)['module'];
    }
  }
  return layers;
}

describe('Keras 2 and Keras 3 spellings of the fixture', () => {
  let contents: KerasFileContents;
  let reference: ImportedKerasModel;
  let images: TestImages;

  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    if (!fixture) return;
    contents = await readLegacyKerasFile(fixture);
    reference = await importKerasModel(fixture);
    images = await testImages(50);
    return () => reference.model.dispose();
  });

  async function expectSamePredictions(bytes: Buffer): Promise<ImportedKerasModel> {
    const imported = await importKerasModel(bytes);
    try {
      expect(Array.from(logits(imported.model, images))).toEqual(Array.from(logits(reference.model, images)));
      return imported;
    } finally {
      imported.model.dispose();
    }
  }

  it('when a Keras 2 Sequential has no InputLayer (batch_input_shape on its first layer), then it predicts as the original', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const [, ...layers] = keras2Layers(contents);
    layers[0]!.config['batch_input_shape'] = [null, 32, 32, 3];
    const config = { class_name: 'Sequential', config: { name: 'sequential', layers } };
    const imported = await expectSamePredictions(
      await writeLegacyKerasFile(config, contents.weights, undefined, 'keras2'),
    );
    expect(imported.layers[0]!.className).toBe('InputLayer');
  });

  it('when a Keras 2 functional "Model" uses [name, node, tensor, kwargs] lists and ":0" weight names, then it predicts as the original', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const layers = keras2Layers(contents);
    layers[0]!.config['batch_input_shape'] = layers[0]!.config['batch_shape'];
    delete layers[0]!.config['batch_shape'];
    const entries = layers.map((layer, i) => ({
      ...layer,
      name: layer.config['name'],
      inbound_nodes: i === 0 ? [] : [[[layers[i - 1]!.config['name'], 0, 0, {}]]],
    }));
    const config = {
      class_name: 'Model',
      config: {
        name: 'model',
        layers: entries,
        input_layers: [[entries[0]!.name, 0, 0]],
        output_layers: [[entries[entries.length - 1]!.name, 0, 0]],
      },
    };
    await expectSamePredictions(await writeLegacyKerasFile(config, contents.weights, undefined, 'keras2'));
  });

  it('when a Softmax layer ends the model, then the import emits the logits before it', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const config = structuredClone(contents.modelConfig);
    (config['config'] as { layers: LayerEntry[] }).layers.push({
      class_name: 'Softmax',
      config: { name: 'probs', axis: -1 },
    });
    const imported = await expectSamePredictions(await writeLegacyKerasFile(config, contents.weights));
    expect(imported.output).toBe('softmax');
  });

  it('when the last Dense has a softmax activation and a Dropout follows, then the import emits its logits', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const config = structuredClone(contents.modelConfig);
    const layers = (config['config'] as { layers: LayerEntry[] }).layers;
    layers[layers.length - 1]!.config['activation'] = 'softmax';
    layers.push({ class_name: 'Dropout', config: { name: 'late_dropout', rate: 0.5 } });
    const imported = await expectSamePredictions(await writeLegacyKerasFile(config, contents.weights));
    expect(imported.output).toBe('softmax');
  });
});

describe('the output rule on small configs', () => {
  const input = { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 32, 32, 3] } };
  const sequential = (...layers: LayerEntry[]) =>
    readKerasModelConfig({ class_name: 'Sequential', config: { name: 's', layers: [input, ...layers] } });
  const flatten = { class_name: 'Flatten', config: { name: 'f' } };

  it('when Activation("softmax") ends the model, then it becomes linear and the output is softmax', () => {
    const { graph, output } = toLogitsOutput(
      sequential(
        flatten,
        { class_name: 'Dense', config: { name: 'd', units: 10 } },
        {
          class_name: 'Activation',
          config: { name: 'a', activation: 'softmax' },
        },
      ),
    );
    expect(output).toBe('softmax');
    expect(graph.layers.find((node) => node.name === 'a')!.config['activation']).toBe('linear');
  });

  it('when a Rescaling follows a softmax, then wrong_output (the logits cannot be recovered)', () => {
    const graph = sequential(
      flatten,
      { class_name: 'Dense', config: { name: 'd', units: 10, activation: 'softmax' } },
      {
        class_name: 'Rescaling',
        config: { name: 'r', scale: 2 },
      },
    );
    expect(() => toLogitsOutput(graph)).toThrow(expect.objectContaining({ code: 'wrong_output' }) as Error);
  });

  it('when the model ends in ReLU, then wrong_output', () => {
    const graph = sequential(
      flatten,
      { class_name: 'Dense', config: { name: 'd', units: 10 } },
      {
        class_name: 'ReLU',
        config: { name: 'r' },
      },
    );
    expect(() => toLogitsOutput(graph)).toThrow(KerasImportError);
  });

  it('when a layer is applied twice (a shared layer), then unsupported_layer', () => {
    const config = {
      class_name: 'Functional',
      config: {
        name: 'f',
        layers: [
          { ...input, name: 'in', inbound_nodes: [] },
          {
            class_name: 'ReLU',
            config: { name: 'r' },
            name: 'r',
            inbound_nodes: [[['in', 0, 0, {}]], [['in', 0, 0, {}]]],
          },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['r', 0, 0]],
      },
    };
    expect(() => readKerasModelConfig(config)).toThrow(
      expect.objectContaining({ code: 'unsupported_layer' }) as Error,
    );
  });

  it('when a subclassed model or a nested model is given, then unsupported_layer', () => {
    expect(() => readKerasModelConfig({ class_name: 'MyModel', config: {} })).toThrow(
      expect.objectContaining({ code: 'unsupported_layer' }) as Error,
    );
    expect(() => sequential({ class_name: 'Sequential', config: { name: 'augment', layers: [] } })).toThrow(
      expect.objectContaining({ code: 'unsupported_layer' }) as Error,
    );
  });

  it('when mixed precision or channels_first is used, then unsupported_layer names it', () => {
    const mixed = { name: 'policy', class_name: 'DTypePolicy', config: { name: 'mixed_float16' } };
    const conv = (extra: Json) =>
      toLogitsOutput(
        sequential(
          { class_name: 'Conv2D', config: { name: 'c', filters: 10, kernel_size: 32, ...extra } },
          flatten,
        ),
      );
    // The checks run when the TensorFlow.js config is written; toLogitsOutput alone accepts both.
    expect(() => conv({ dtype: mixed })).not.toThrow();
    return Promise.all([
      expect(
        importKerasModelFromConfig({
          class_name: 'Conv2D',
          config: { name: 'c', filters: 10, kernel_size: 32, dtype: mixed },
        }),
      ).rejects.toThrow(/mixed_float16/),
      expect(
        importKerasModelFromConfig({
          class_name: 'Conv2D',
          config: { name: 'c', filters: 10, kernel_size: 32, data_format: 'channels_first' },
        }),
      ).rejects.toThrow(/channels_first/),
    ]);
  });
});

/** Imports an Input -> layer -> Flatten model whose layer has a [32, 32, 3, 10] kernel. */
async function importKerasModelFromConfig(layer: LayerEntry): Promise<unknown> {
  const config = {
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [
        { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 32, 32, 3] } },
        layer,
        { class_name: 'Flatten', config: { name: 'f' } },
      ],
    },
  };
  const weights = new Map([
    [
      'c',
      [
        { name: 'kernel', shape: [32, 32, 3, 10], values: new Float32Array(32 * 32 * 3 * 10) },
        { name: 'bias', shape: [10], values: new Float32Array(10) },
      ],
    ],
  ]);
  const imported = await importKerasModel(await writeLegacyKerasFile(config, weights));
  imported.model.dispose();
  return imported;
}
