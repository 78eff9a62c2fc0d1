// Test helpers for the Keras interchange: where the Keras fixture files are, the fixture's config
// and weights read straight from its HDF5 with h5wasm, Keras files written from them (legacy HDF5
// and Keras 3 archives, with or without deliberate damage), CIFAR-10 test images, and a reference
// forward pass in plain TypeScript, written independently of the importer.
import h5wasm, { Dataset, Group, type File as H5File } from 'h5wasm';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { iterateClassFolderZip, isSkipped } from '@visionops/core/dataset';
import { NUM_CLASSES } from '@visionops/core';
import { repoRoot } from '@visionops/core';
import { decodeImage, PIXELS_PER_IMAGE } from '@visionops/core';
import { buildZip, realDataFile, syntheticPixels } from './fixtures.js';

export const kerasFixturesDir = resolve(
  process.env.VISIONOPS_KERAS_FIXTURES ?? join(repoRoot, '..', 'shared', 'fixtures', 'keras'),
);

export const KERAS_FIXTURE = 'cifar10-cnn-bn-keras3.5.h5';

/**
 * The fixture's bytes, or undefined when the folder is absent. Under CI=true a missing fixture is
 * an error: the importer's main evidence must not silently disappear.
 */
export function kerasFixture(name = KERAS_FIXTURE): Buffer | undefined {
  const path = join(kerasFixturesDir, name);
  if (existsSync(path)) return readFileSync(path);
  if (process.env.CI === 'true')
    throw new Error(`Keras fixture ${path} is missing (set VISIONOPS_KERAS_FIXTURES)`);
  return undefined;
}

export const MISSING_FIXTURE = `Keras fixture ${KERAS_FIXTURE} not found in ${kerasFixturesDir} (set VISIONOPS_KERAS_FIXTURES)`;

type Json = Record<string, unknown>;

export interface StoredWeight {
  /** Short name: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface KerasFileContents {
  modelConfig: Json;
  /** Layer name -> its weights in the file's order. */
  weights: Map<string, StoredWeight[]>;
  /** Sum of the sizes of every dataset under model_weights. */
  datasetValues: number;
}

async function fs() {
  const module = await h5wasm.ready;
  return module.FS as unknown as {
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    unlink(path: string): void;
    readdir(path: string): string[];
  };
}

/** Files the importer or exporter may have left in h5wasm's in-memory file system. */
export async function h5wasmFiles(): Promise<string[]> {
  return (await fs()).readdir('/').filter((name) => name.endsWith('.h5'));
}

let counter = 0;

/** Reads a legacy Keras HDF5 file (model_config and model_weights) with h5wasm directly. */
export async function readLegacyKerasFile(bytes: Uint8Array): Promise<KerasFileContents> {
  const files = await fs();
  const path = `/fixture-read-${counter++}.h5`;
  files.writeFile(path, bytes);
  const file = new h5wasm.File(path, 'r');
  try {
    const modelConfig = JSON.parse(file.attrs['model_config']!.value as string) as Json;
    const root = file.get('model_weights') as Group;
    const weights = new Map<string, StoredWeight[]>();
    let datasetValues = 0;
    const visit = (group: Group, into: StoredWeight[]) => {
      for (const key of group.keys()) {
        const child = group.get(key);
        if (child instanceof Group) visit(child, into);
        else if (child instanceof Dataset) {
          const values = Float32Array.from(child.value as Float32Array);
          into.push({ name: key.replace(/:\d+$/, ''), shape: child.shape ?? [], values });
          datasetValues += values.length;
        }
      }
    };
    for (const layer of root.keys()) {
      const found: StoredWeight[] = [];
      visit(root.get(layer) as Group, found);
      if (found.length > 0) {
        // The file's own order, from weight_names.
        const order = (root.get(layer) as Group).attrs['weight_names']!.value as string[];
        const short = order.map((name) => name.split('/').pop()!.replace(/:\d+$/, ''));
        weights.set(
          layer,
          short.map((name) => found.find((w) => w.name === name)!),
        );
      }
    }
    return { modelConfig, weights, datasetValues };
  } finally {
    file.close();
    files.unlink(path);
  }
}

export interface ExtraDataset {
  /** Path of a group under the root, and a dataset declared with `shape` but (mostly) unwritten. */
  group: string;
  name: string;
  shape: number[];
}

/** Writes an HDF5 file with h5wasm: `build` gets the open file. */
export async function writeHdf5(build: (file: H5File) => void): Promise<Buffer> {
  const files = await fs();
  const path = `/fixture-write-${counter++}.h5`;
  const file = new h5wasm.File(path, 'w');
  try {
    build(file);
  } finally {
    file.close();
  }
  const bytes = Buffer.from(files.readFile(path));
  files.unlink(path);
  return bytes;
}

/**
 * A legacy Keras HDF5 file as Keras 3.5 writes one: model_config (any string, so tests can break
 * it), model_weights/<layer>/<model>/<layer>/<weight>. `huge` declares one weight as a chunked
 * dataset of the given shape without writing its data (a small file that claims gigabytes).
 */
export async function writeLegacyKerasFile(
  modelConfig: Json | string,
  weights: Map<string, StoredWeight[]>,
  huge?: { layer: string; weight: string; shape: number[] },
  style: 'keras2' | 'keras3' = 'keras3',
): Promise<Buffer> {
  return writeHdf5((file) => {
    file.create_attribute('keras_version', '3.5.0', null, 'S');
    file.create_attribute('backend', 'tensorflow', null, 'S');
    file.create_attribute(
      'model_config',
      typeof modelConfig === 'string' ? modelConfig : JSON.stringify(modelConfig),
      null,
      'A',
    );
    const root = file.create_group('model_weights');
    const names = [...weights.keys()];
    root.create_attribute('layer_names', names, [names.length], 'A');
    const datasetName = (w: StoredWeight) => (style === 'keras2' ? `${w.name}:0` : w.name);
    for (const [layer, list] of weights) {
      const group = root.create_group(layer);
      // Keras 2 (tf.keras): "<layer>/<weight>:0"; Keras 3: "<model>/<layer>/<weight>".
      const full = list.map((w) =>
        style === 'keras2' ? `${layer}/${w.name}:0` : `sequential/${layer}/${w.name}`,
      );
      group.create_attribute('weight_names', full, [full.length], 'A');
      const inner =
        style === 'keras2' ? group.create_group(layer) : group.create_group('sequential').create_group(layer);
      for (const w of list) {
        if (huge && huge.layer === layer && huge.weight === w.name) {
          const first = [1, ...huge.shape.slice(1)];
          const size = first.reduce((a, b) => a * b, 1);
          inner.create_dataset({
            name: datasetName(w),
            data: new Float32Array(size),
            shape: first,
            maxshape: huge.shape.map(() => null),
            chunks: first.map((d) => Math.min(d, 1024)),
          });
          (inner.get(datasetName(w)) as Dataset).resize(huge.shape);
        } else {
          inner.create_dataset({ name: datasetName(w), data: w.values, shape: w.shape, dtype: '<f4' });
        }
      }
    }
  });
}

/** Keras 3's weight group names: snake_case class name, numbered per class in layer order. */
const KERAS3_WEIGHT_PATHS: Record<string, string> = {
  Conv2D: 'conv2d',
  BatchNormalization: 'batch_normalization',
  Dense: 'dense',
  MaxPooling2D: 'max_pooling2d',
  Dropout: 'dropout',
  Flatten: 'flatten',
  InputLayer: 'input_layer',
};

/**
 * A Keras 3 `.keras` archive of a Sequential config (converted here to a Functional config in
 * Keras 3 spelling, with layers renamed so that names and weight paths differ, as they do after
 * Keras auto-names layers across models) and its weights at layers/<class>[_n]/vars/<i>.
 */
export async function buildKerasArchive(contents: KerasFileContents): Promise<Buffer> {
  const sequential = contents.modelConfig['config'] as { layers: { class_name: string; config: Json }[] };
  const dtype = {
    module: 'keras',
    class_name: 'DTypePolicy',
    config: { name: 'float32' },
    registered_name: null,
  };
  const renamed = (name: string) => `block_${name}`;
  let previous: string | undefined;
  const layers = sequential.layers.map((layer) => {
    const name = renamed(String(layer.config['name']));
    const tensor = previous && {
      class_name: '__keras_tensor__',
      config: { shape: [null], dtype: 'float32', keras_history: [previous, 0, 0] },
    };
    previous = name;
    return {
      module: 'keras.layers',
      class_name: layer.class_name,
      config: { ...layer.config, name, dtype },
      registered_name: null,
      name,
      inbound_nodes: tensor
        ? [{ args: [tensor], kwargs: layer.class_name === 'Dropout' ? { training: false } : {} }]
        : [],
    };
  });
  const config = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'functional',
      trainable: true,
      layers,
      input_layers: [layers[0]!.name, 0, 0],
      output_layers: [layers[layers.length - 1]!.name, 0, 0],
    },
    registered_name: 'Functional',
  };
  const used = new Map<string, number>();
  const weightsH5 = await writeHdf5((file) => {
    const root = file.create_group('layers');
    for (const layer of sequential.layers) {
      const base = KERAS3_WEIGHT_PATHS[layer.class_name]!;
      const n = used.get(base) ?? 0;
      used.set(base, n + 1);
      const stored = contents.weights.get(String(layer.config['name']));
      if (!stored) continue;
      const vars = root.create_group(n === 0 ? base : `${base}_${n}`).create_group('vars');
      stored.forEach((w, i) =>
        vars.create_dataset({ name: String(i), data: w.values, shape: w.shape, dtype: '<f4' }),
      );
    }
  });
  return buildZip([
    {
      path: 'metadata.json',
      data: JSON.stringify({ keras_version: '3.5.0', date_saved: '2024-09-01@12:00:00' }),
    },
    { path: 'config.json', data: JSON.stringify(config) },
    { path: 'model.weights.h5', data: weightsH5, compress: true },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Images

export interface TestImages {
  /** count * 3072 floats, HWC, pixels / 255 (the "scale01" preprocessing). */
  pixels: Float32Array;
  labels: number[];
  count: number;
  real: boolean;
}

/** `count` CIFAR-10 test images spread over the classes (all of test.zip for count 5000), else synthetic. */
export async function testImages(count: number): Promise<TestImages> {
  const pixels = new Float32Array(count * PIXELS_PER_IMAGE);
  const labels: number[] = [];
  const zip = realDataFile('test.zip');
  const put = (rgb: Uint8Array, label: number) => {
    const offset = labels.length * PIXELS_PER_IMAGE;
    for (let i = 0; i < PIXELS_PER_IMAGE; i++) pixels[offset + i] = rgb[i]! / 255;
    labels.push(label);
  };
  if (!zip) {
    for (let i = 0; i < count; i++) put(syntheticPixels(i % NUM_CLASSES, i), i % NUM_CLASSES);
    return { pixels, labels, count, real: false };
  }
  const perClass = Math.ceil(count / NUM_CLASSES);
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  for await (const item of iterateClassFolderZip(zip)) {
    if (isSkipped(item) || taken[item.label]! >= perClass) continue;
    taken[item.label]!++;
    put(await decodeImage(item.data), item.label);
    if (labels.length === count) break;
  }
  return {
    pixels: pixels.subarray(0, labels.length * PIXELS_PER_IMAGE),
    labels,
    count: labels.length,
    real: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Reference forward pass: the Keras layers of the fixture, as loops over Float32Arrays

interface Activations {
  data: Float32Array;
  /** [height, width, channels] or [features]. */
  shape: number[];
}

function activate(values: Float32Array, activation: unknown): void {
  if (activation === 'relu') for (let i = 0; i < values.length; i++) values[i] = Math.max(0, values[i]!);
  else if (activation === 'softmax') softmaxInPlace(values);
  else if (activation !== 'linear' && activation !== undefined)
    throw new Error(`reference: activation ${JSON.stringify(activation)}`);
}

function softmaxInPlace(values: Float32Array): void {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] = Math.exp(values[i]! - max);
  for (let i = 0; i < values.length; i++) values[i]! /= sum;
}

function conv2d(
  x: Activations,
  kernel: StoredWeight,
  bias: StoredWeight | undefined,
  config: Json,
): Activations {
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const [h, w] = x.shape as [number, number, number];
  const [sh, sw] = (config['strides'] as number[] | undefined) ?? [1, 1];
  const same = config['padding'] === 'same';
  const oh = same ? Math.ceil(h / sh!) : Math.floor((h - kh) / sh!) + 1;
  const ow = same ? Math.ceil(w / sw!) : Math.floor((w - kw) / sw!) + 1;
  // 'same' pads so that the output covers the input; the extra row/column goes at the end.
  const padTop = same ? Math.floor(Math.max((oh - 1) * sh! + kh - h, 0) / 2) : 0;
  const padLeft = same ? Math.floor(Math.max((ow - 1) * sw! + kw - w, 0) / 2) : 0;
  const out = new Float32Array(oh * ow * cout);
  const k = kernel.values;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const o = (oy * ow + ox) * cout;
      if (bias) for (let c = 0; c < cout; c++) out[o + c] = bias.values[c]!;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh! + ky - padTop;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw! + kx - padLeft;
          if (ix < 0 || ix >= w) continue;
          const inBase = (iy * w + ix) * cin;
          const kBase = (ky * kw + kx) * cin * cout;
          for (let ci = 0; ci < cin; ci++) {
            const v = x.data[inBase + ci]!;
            if (v === 0) continue;
            const kRow = kBase + ci * cout;
            for (let c = 0; c < cout; c++) out[o + c] = out[o + c]! + v * k[kRow + c]!;
          }
        }
      }
    }
  }
  activate(out, config['activation']);
  return { data: out, shape: [oh, ow, cout] };
}

function maxPool(x: Activations, config: Json): Activations {
  const [h, w, c] = x.shape as [number, number, number];
  const [ph, pw] = (config['pool_size'] as number[] | undefined) ?? [2, 2];
  const [sh, sw] = (config['strides'] as number[] | null | undefined) ?? [ph!, pw!];
  if (config['padding'] === 'same') throw new Error('reference: same-padded pooling');
  const oh = Math.floor((h - ph!) / sh!) + 1;
  const ow = Math.floor((w - pw!) / sw!) + 1;
  const out = new Float32Array(oh * ow * c).fill(-Infinity);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let dy = 0; dy < ph!; dy++)
        for (let dx = 0; dx < pw!; dx++)
          for (let ch = 0; ch < c; ch++) {
            const o = (oy * ow + ox) * c + ch;
            out[o] = Math.max(out[o]!, x.data[((oy * sh! + dy) * w + ox * sw! + dx) * c + ch]!);
          }
  return { data: out, shape: [oh, ow, c] };
}

function batchNorm(x: Activations, weights: StoredWeight[], config: Json): Activations {
  const get = (name: string) => weights.find((w) => w.name === name)?.values;
  const [gamma, beta, mean, variance] = [
    get('gamma'),
    get('beta'),
    get('moving_mean')!,
    get('moving_variance')!,
  ];
  const epsilon = config['epsilon'] as number;
  const c = x.shape[x.shape.length - 1]!;
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const ch = i % c;
    out[i] =
      ((x.data[i]! - mean[ch]!) / Math.sqrt(variance[ch]! + epsilon)) * (gamma ? gamma[ch]! : 1) +
      (beta ? beta[ch]! : 0);
  }
  return { data: out, shape: x.shape };
}

function dense(
  x: Activations,
  kernel: StoredWeight,
  bias: StoredWeight | undefined,
  config: Json,
): Activations {
  const [inputs, units] = kernel.shape as [number, number];
  const out = new Float32Array(units);
  if (bias) out.set(bias.values);
  for (let i = 0; i < inputs; i++) {
    const v = x.data[i]!;
    for (let u = 0; u < units; u++) out[u] = out[u]! + v * kernel.values[i * units + u]!;
  }
  activate(out, config['activation']);
  return { data: out, shape: [units] };
}

/**
 * Class probabilities of one image (HWC floats) under a Sequential Keras config: the model's own
 * output, with a softmax applied when its last layer emits logits.
 */
export function referenceProbabilities(contents: KerasFileContents, image: Float32Array): Float32Array {
  const layers = (contents.modelConfig['config'] as { layers: { class_name: string; config: Json }[] })
    .layers;
  let x: Activations = { data: image, shape: [32, 32, 3] };
  let endsInSoftmax = false;
  for (const layer of layers) {
    const weights = contents.weights.get(String(layer.config['name'])) ?? [];
    const find = (name: string) => weights.find((w) => w.name === name);
    switch (layer.class_name) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Flatten':
        x = { data: x.data, shape: [x.data.length] };
        break;
      case 'Conv2D':
        x = conv2d(x, find('kernel')!, find('bias'), layer.config);
        break;
      case 'MaxPooling2D':
        x = maxPool(x, layer.config);
        break;
      case 'BatchNormalization':
        x = batchNorm(x, weights, layer.config);
        break;
      case 'Dense':
        x = dense(x, find('kernel')!, find('bias'), layer.config);
        break;
      default:
        throw new Error(`reference: layer ${layer.class_name}`);
    }
    endsInSoftmax = layer.config['activation'] === 'softmax';
  }
  if (!endsInSoftmax) softmaxInPlace(x.data);
  return x.data;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
