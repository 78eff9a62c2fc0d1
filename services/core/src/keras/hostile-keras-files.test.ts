// Broken and hostile Keras files: each is refused with the code that names its problem, and no
// tensors or h5wasm files are left behind.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildKerasArchive,
  buildZip,
  centralRecords,
  h5wasmFiles,
  type KerasFileContents,
  kerasFixture,
  MISSING_FIXTURE,
  readLegacyKerasFile,
  type StoredWeight,
  writeLegacyKerasFile,
} from '@visionops/testkit';
import { initBackend } from '../engine/backend.js';
import { importKerasModel, type KerasImportLimits } from './import-keras-model.js';
import { KerasImportError, type KerasImportErrorCode } from './keras-import-error.js';

const fixture = kerasFixture();

type Json = Record<string, unknown>;
type LayerEntry = { class_name: string; config: Json };

/** Expects the import to fail with `code`, leaving no tensors and no files; returns the message. */
async function refused(
  bytes: Buffer,
  code: KerasImportErrorCode,
  limits?: Partial<KerasImportLimits>,
): Promise<string> {
  const before = tf.memory().numTensors;
  const error = await importKerasModel(bytes, limits).then(
    (result) => {
      result.model.dispose();
      return new Error('the import succeeded');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KerasImportError);
  expect((error as KerasImportError).code, (error as Error).message).toBe(code);
  expect(tf.memory().numTensors).toBe(before);
  expect(await h5wasmFiles()).toEqual([]);
  return (error as Error).message;
}

function cloneContents(contents: KerasFileContents): {
  config: Json;
  layers: LayerEntry[];
  weights: Map<string, StoredWeight[]>;
} {
  const config = structuredClone(contents.modelConfig);
  const weights = new Map([...contents.weights].map(([name, list]) => [name, list.map((w) => ({ ...w }))]));
  return { config, layers: (config['config'] as { layers: LayerEntry[] }).layers, weights };
}

describe('refusing broken and hostile Keras files', () => {
  let contents: KerasFileContents;

  beforeAll(async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    if (fixture) contents = await readLegacyKerasFile(fixture);
  });

  it('when the file is random bytes, then not_keras_file', async () => {
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 251;
    expect(await refused(random, 'not_keras_file')).toMatch(/\.h5|\.keras/);
  });

  it('when a file only starts like HDF5, then not_keras_file', async () => {
    await refused(
      Buffer.concat([Buffer.from('894844460d0a1a0a', 'hex'), Buffer.alloc(2048, 7)]),
      'not_keras_file',
    );
  });

  it('when the fixture is scrambled inside, then not_keras_file with the reason HDF5 gives', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const scrambled = Buffer.from(fixture);
    for (let i = 3000; i < 40_000; i++) scrambled[i] = (i * 31) & 255;
    expect(await refused(scrambled, 'not_keras_file')).toMatch(/not a readable HDF5 file \(.+\)/);
  });

  it('when the fixture is cut in half, then truncated', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    expect(await refused(fixture.subarray(0, fixture.length >> 1), 'truncated')).toMatch(/whole file/);
  });

  it('when model_config is not JSON, then bad_config', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    await refused(
      await writeLegacyKerasFile('{"class_name": "Sequential", "config": {', contents.weights),
      'bad_config',
    );
  });

  it('when a layer is an LSTM or a Conv2DTranspose, then unsupported_layer naming it and what is supported', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    for (const className of ['LSTM', 'Conv2DTranspose']) {
      const { config, layers, weights } = cloneContents(contents);
      layers[5]!.class_name = className;
      const message = await refused(await writeLegacyKerasFile(config, weights), 'unsupported_layer');
      expect(message).toContain(`"conv2d_1" (${className})`);
      expect(message).toContain('Conv2D, Dense');
    }
  });

  it('when a kernel has a shape its config does not allow, then weight_shape_mismatch', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, weights } = cloneContents(contents);
    const dense = weights.get('dense_1')!;
    dense[0] = { name: 'kernel', shape: [64, 9], values: new Float32Array(64 * 9) };
    expect(await refused(await writeLegacyKerasFile(config, weights), 'weight_shape_mismatch')).toContain(
      'dense_1/kernel',
    );
  });

  it('when a kernel takes more input channels than the layer before gives, then weight_shape_mismatch', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, weights } = cloneContents(contents);
    weights.get('conv2d_1')![0] = {
      name: 'kernel',
      shape: [3, 3, 16, 64],
      values: new Float32Array(3 * 3 * 16 * 64),
    };
    expect(await refused(await writeLegacyKerasFile(config, weights), 'weight_shape_mismatch')).toContain(
      '[3, 3, 32, 64]',
    );
  });

  it('when the config makes a layer need a larger kernel than the file holds, then weight_shape_mismatch before building', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, layers, weights } = cloneContents(contents);
    // Without pooling, Flatten gives 26 * 26 * 64 features: the dense kernel would be [43264, 64].
    (config['config'] as { layers: LayerEntry[] }).layers = layers.filter(
      (layer) => layer.class_name !== 'MaxPooling2D',
    );
    // The message of the check on the config's shapes; the one after building says "the model needs".
    expect(await refused(await writeLegacyKerasFile(config, weights), 'weight_shape_mismatch')).toContain(
      'layer "dense" (Dense) needs [43264, 64]',
    );
  });

  it('when a layer has no weights in the file, then missing_weights', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, weights } = cloneContents(contents);
    weights.delete('batch_normalization_2');
    await refused(await writeLegacyKerasFile(config, weights), 'missing_weights');
  });

  it('when a 1 MB file declares a 2 GB weight, then too_large before anything is read', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, weights } = cloneContents(contents);
    const bytes = await writeLegacyKerasFile(config, weights, {
      layer: 'dense',
      weight: 'kernel',
      shape: [32_768, 16_384],
    });
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    expect(await refused(bytes, 'too_large')).toMatch(/declares \[32768, 16384\]/);
  });

  it('when the model has more parameters than allowed, then too_large', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    await refused(fixture, 'too_large', { maxParameters: 100_000 });
    await refused(fixture, 'too_large', { maxBytes: 1_000_000 });
  });

  it('when the model takes 64x64 images, then wrong_input_shape', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, layers, weights } = cloneContents(contents);
    layers[0]!.config['batch_shape'] = [null, 64, 64, 3];
    expect(await refused(await writeLegacyKerasFile(config, weights), 'wrong_input_shape')).toContain(
      '[null, 32, 32, 3]',
    );
  });

  it('when the model has 5 classes, then wrong_output', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, layers, weights } = cloneContents(contents);
    layers[layers.length - 1]!.config['units'] = 5;
    const kernel = weights.get('dense_1')![0]!;
    weights.set('dense_1', [
      { name: 'kernel', shape: [64, 5], values: kernel.values.slice(0, 64 * 5) },
      { name: 'bias', shape: [5], values: new Float32Array(5) },
    ]);
    expect(await refused(await writeLegacyKerasFile(config, weights), 'wrong_output')).toContain(
      '10 classes',
    );
  });

  it('when the model ends in a sigmoid, then wrong_output', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const { config, layers, weights } = cloneContents(contents);
    layers[layers.length - 1]!.config['activation'] = 'sigmoid';
    expect(await refused(await writeLegacyKerasFile(config, weights), 'wrong_output')).toContain('sigmoid');
  });

  it('when a .keras archive unpacks to far more than it stores, then too_large', async () => {
    const bomb = await buildZip([
      { path: 'config.json', data: '{}' },
      { path: 'model.weights.h5', data: Buffer.alloc(64 * 1024 * 1024), compress: true },
    ]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await refused(bomb, 'too_large', { maxBytes: 16 * 1024 * 1024 });
  });

  it('when a .keras entry unpacks to more than its headers declare, then too_large while unpacking', async () => {
    const zip = await buildZip([
      { path: 'config.json', data: '{}' },
      { path: 'model.weights.h5', data: Buffer.alloc(8 * 1024 * 1024), compress: true },
    ]);
    const record = centralRecords(zip).find((entry) => entry.name === 'model.weights.h5')!;
    // Both headers claim 1,000 unpacked bytes; the deflated data holds 8 MiB.
    zip.writeUInt32LE(1000, record.at + 24);
    zip.writeUInt32LE(1000, record.localHeader + 22);
    expect(await refused(zip, 'too_large')).toMatch(/more than 1000 bytes/);
  });

  it('when a .keras archive has thousands of entries, then too_large', async () => {
    const entries = Array.from({ length: 2000 }, (_, i) => ({ path: `assets/${i}.txt`, data: 'x' }));
    await refused(await buildZip([{ path: 'config.json', data: '{}' }, ...entries]), 'too_large');
  });

  it('when a .keras archive has an entry outside its folder, then unsafe_archive', async () => {
    const zip = await buildZip(
      [
        { path: 'config.json', data: '{}' },
        { path: 'xx/xx/evil.json', data: '{}' },
      ],
      { 'xx/xx/evil.json': '../../evil.json' },
    );
    expect(await refused(zip, 'unsafe_archive')).toContain('../../evil.json');
  });

  it('when a .keras archive is cut short, then truncated', async (context) => {
    if (!fixture) return context.skip(MISSING_FIXTURE);
    const archive = await buildKerasArchive(contents);
    await refused(archive.subarray(0, archive.length - 200), 'truncated');
  });

  it('when a .keras config.json is not JSON, then bad_config', async () => {
    await refused(
      await buildZip([
        { path: 'config.json', data: 'not json' },
        { path: 'model.weights.h5', data: 'x' },
      ]),
      'bad_config',
    );
  });
});
