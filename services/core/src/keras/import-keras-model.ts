// Keras model files (legacy HDF5 `.h5` from Keras 2 or 3, Keras 3 `.keras` archives) turned into
// TensorFlow.js layers models that emit logits, like every model visionops serves.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { NUM_CLASSES } from '../labels.js';
import {
  Dataset,
  Group,
  hdf5ErrorText,
  stringAttribute,
  stringListAttribute,
  withHdf5File,
  type File,
} from './hdf5-file.js';
import type { KerasFormat } from '../contract/jobs.js';
import { sniffKerasFormat } from '../jobs/import-job.js';
import { readKerasArchive } from './keras-archive.js';
import { KerasImportError } from './keras-import-error.js';
import {
  inferShapes,
  readKerasModelConfig,
  toLogitsOutput,
  toTfjsTopology,
  weightNamesOf,
  type KerasGraph,
  type KerasLayerNode,
  type OutputKind,
} from './keras-model-config.js';

export interface KerasImportLimits {
  /** Size of the uploaded file, and of everything a `.keras` archive unpacks to. */
  maxBytes: number;
  /** Weights (floats) of the model, counted from the shapes the file declares, before reading them. */
  maxParameters: number;
  /** Entries of a `.keras` archive. */
  maxArchiveEntries: number;
}

export const DEFAULT_KERAS_IMPORT_LIMITS: Readonly<KerasImportLimits> = Object.freeze({
  maxBytes: 512 * 1024 * 1024,
  maxParameters: 50_000_000,
  maxArchiveEntries: 64,
});

export type { KerasFormat };

export interface ImportedKerasModel {
  /** Emits logits; the caller owns it (dispose it). */
  model: tf.LayersModel;
  origin: { format: KerasFormat; kerasVersion: string | null; backend: string | null; sha256: string };
  /** What the Keras model emitted: probabilities from a final softmax (removed here), or logits. */
  output: OutputKind;
  /** The layers of the Keras model as the file describes them. */
  layers: { name: string; className: string }[];
  parameters: number;
}

/** What the config says, checked before any weight is read: the model to build and its weight shapes. */
interface ImportPlan {
  /** The Keras model as the file describes it. */
  source: KerasGraph;
  /** The model to build: the same, with a final softmax made linear. */
  served: KerasGraph;
  output: OutputKind;
  /** Layer -> weight short name -> shape. */
  shapes: Map<string, Map<string, number[]>>;
}

function planImport(modelConfig: unknown): ImportPlan {
  const source = readKerasModelConfig(modelConfig);
  const { graph: served, output } = toLogitsOutput(source);
  const { outputs, weights } = inferShapes(served);
  const outputShape = outputs.get(served.output)!;
  if (outputShape.length !== 1 || outputShape[0] !== NUM_CLASSES) {
    throw new KerasImportError(
      'wrong_output',
      `the model outputs shape ${shapeText([null, ...outputShape])}; it must output ${NUM_CLASSES} classes ([null, ${NUM_CLASSES}]), in the CIFAR-10 label order`,
    );
  }
  return { source, served, output, shapes: weights };
}

interface WeightValue {
  name: string;
  shape: number[];
  /** Empty until loaded. */
  values: Float32Array;
}

type LayerWeights = Map<string, WeightValue[]>;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KerasImportError(
      'bad_config',
      `${what} is not valid JSON; the file is damaged or not written by Keras`,
      {
        cause: error,
      },
    );
  }
}

// Keras 3 names a layer's weight group after its class, snake_cased, numbered per class
// (saving_lib's naming), not after the layer's own name.
function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Reads weights in two steps: `declared` checks what a dataset claims (type, shape, size against
 * the file and the parameter limit) without reading it; `load` reads it once the shape is known
 * to be the one the model needs.
 */
class WeightReader {
  private parameters = 0;

  constructor(
    private readonly fileBytes: number,
    private readonly maxParameters: number,
  ) {}

  declared(dataset: Dataset, label: string): WeightValue {
    const metadata = dataset.metadata;
    const shape = dataset.shape ?? [];
    const count = shape.reduce((a, b) => a * b, 1);
    if (metadata.type !== 1 || (metadata.size !== 4 && metadata.size !== 8)) {
      throw new KerasImportError('weight_shape_mismatch', `weight ${label} is not float32 or float64 data`);
    }
    const declaredBytes = count * metadata.size;
    if (declaredBytes > this.fileBytes) {
      throw new KerasImportError(
        'too_large',
        `weight ${label} declares ${shapeText(shape)} (${declaredBytes} bytes) but the file holds only ${this.fileBytes} bytes; the file is damaged or crafted`,
      );
    }
    this.parameters += count;
    if (this.parameters > this.maxParameters) {
      throw new KerasImportError('too_large', `the model has more than ${this.maxParameters} parameters`);
    }
    return { name: label, shape, values: new Float32Array(0) };
  }

  load(dataset: Dataset, weight: WeightValue): WeightValue {
    const raw = dataset.value;
    const count = weight.shape.reduce((a, b) => a * b, 1);
    if (!(raw instanceof Float32Array || raw instanceof Float64Array) || raw.length !== count) {
      throw new KerasImportError(
        'weight_shape_mismatch',
        `weight ${weight.name} could not be read as ${count} numbers`,
      );
    }
    return { ...weight, values: raw instanceof Float32Array ? raw : Float32Array.from(raw) };
  }
}

/** Checks the weights' declared shapes against the shapes the model's layers need. */
function checkShapes(
  node: KerasLayerNode,
  weights: WeightValue[],
  expected: Map<string, number[]> | undefined,
): void {
  for (const weight of weights) {
    const needed = expected?.get(weight.name.split('/').pop()!);
    if (
      !needed ||
      needed.length !== weight.shape.length ||
      needed.some((dim, i) => dim !== weight.shape[i])
    ) {
      throw new KerasImportError(
        'weight_shape_mismatch',
        `weight ${weight.name} has shape ${shapeText(weight.shape)} but layer "${node.name}" (${node.className}) needs ${needed ? shapeText(needed) : 'no such weight'}`,
      );
    }
  }
}

/** Weights of a legacy HDF5 file: model_weights/<layer> with attribute weight_names. */
function readLegacyWeights(file: File, plan: ImportPlan, reader: WeightReader): LayerWeights {
  const graph = plan.served;
  const root = file.get('model_weights');
  if (!(root instanceof Group)) {
    throw new KerasImportError(
      'missing_weights',
      'the file has no model_weights group (a weights-only or config-only file cannot be imported)',
    );
  }
  const weights: LayerWeights = new Map();
  const expectedLayers = new Set<string>();
  for (const node of graph.layers) {
    const names = weightNamesOf(node);
    if (names.length === 0) continue;
    expectedLayers.add(node.name);
    const group = root.get(node.name);
    const stored = group instanceof Group ? stringListAttribute(group, 'weight_names') : undefined;
    if (!(group instanceof Group) || !stored || stored.length === 0) {
      throw new KerasImportError(
        'missing_weights',
        `the file has no weights for layer "${node.name}" (${node.className})`,
      );
    }
    if (stored.length !== names.length) {
      throw new KerasImportError(
        'weight_shape_mismatch',
        `the file has ${stored.length} weights for layer "${node.name}" (${node.className}), which has ${names.length} (${names.join(', ')})`,
      );
    }
    const located = names.map((short) => {
      // Keras 2: "<layer>/kernel:0"; Keras 3: "<model>/<layer>/kernel".
      const path = stored.find((name) => name.split('/').pop()!.replace(/:\d+$/, '') === short);
      const dataset = path === undefined ? undefined : group.get(path);
      if (!(dataset instanceof Dataset)) {
        throw new KerasImportError(
          'missing_weights',
          `the file has no ${short} weight for layer "${node.name}" (${node.className})`,
        );
      }
      return { dataset, weight: reader.declared(dataset, `${node.name}/${short}`) };
    });
    checkShapes(
      node,
      located.map((entry) => entry.weight),
      plan.shapes.get(node.name),
    );
    weights.set(
      node.name,
      located.map(({ dataset, weight }) => reader.load(dataset, weight)),
    );
  }
  for (const name of stringListAttribute(root, 'layer_names') ?? []) {
    const group = root.get(name);
    const stored = group instanceof Group ? stringListAttribute(group, 'weight_names') : undefined;
    if (stored && stored.length > 0 && !expectedLayers.has(name)) {
      throw new KerasImportError(
        'weight_shape_mismatch',
        `the file has weights for a layer "${name}" that the model config does not have`,
      );
    }
  }
  return weights;
}

/** Weights of a Keras 3 archive: layers/<class_name_snake[_n]>/vars/<i>. */
function readV3Weights(file: File, plan: ImportPlan, reader: WeightReader): LayerWeights {
  const graph = plan.served;
  const weights: LayerWeights = new Map();
  const used = new Map<string, number>();
  for (const node of graph.layers) {
    // Sequential.layers leaves out the InputLayer; Functional.layers keeps it.
    if (graph.kind === 'Sequential' && node.className === 'InputLayer') continue;
    const base = snakeCase(node.className);
    const seen = used.get(base);
    used.set(base, seen === undefined ? 0 : seen + 1);
    const path = seen === undefined ? `layers/${base}` : `layers/${base}_${seen + 1}`;
    const names = weightNamesOf(node);
    if (names.length === 0) continue;
    const vars = file.get(`${path}/vars`);
    if (!(vars instanceof Group)) {
      throw new KerasImportError(
        'missing_weights',
        `the archive has no weights for layer "${node.name}" (${node.className}) at ${path}/vars`,
      );
    }
    const count = vars.keys().length;
    if (count !== names.length) {
      throw new KerasImportError(
        'weight_shape_mismatch',
        `the archive has ${count} weights for layer "${node.name}" (${node.className}), which has ${names.length} (${names.join(', ')})`,
      );
    }
    const located = names.map((short, i) => {
      const dataset = vars.get(String(i));
      if (!(dataset instanceof Dataset)) {
        throw new KerasImportError(
          'missing_weights',
          `the archive has no ${short} weight for layer "${node.name}" (${path}/vars/${i})`,
        );
      }
      return { dataset, weight: reader.declared(dataset, `${node.name}/${short}`) };
    });
    checkShapes(
      node,
      located.map((entry) => entry.weight),
      plan.shapes.get(node.name),
    );
    weights.set(
      node.name,
      located.map(({ dataset, weight }) => reader.load(dataset, weight)),
    );
  }
  return weights;
}

/** The innermost reason in HDF5's error stack ("... in H5F__super_read(): file signature not found"). */
function hdf5Reason(text: string): string {
  const reasons = [...text.matchAll(/\(\): ([^\n]+)/g)].map((match) => match[1]!.trim());
  return reasons.pop() ?? 'unknown error';
}

function hdf5Failure(error: unknown, what: string): KerasImportError {
  if (error instanceof KerasImportError) return error;
  const text = hdf5ErrorText(error);
  if (/truncated file/i.test(text)) {
    return new KerasImportError(
      'truncated',
      `${what} is incomplete (shorter than its header says); upload the whole file`,
      { cause: error },
    );
  }
  return new KerasImportError(
    'not_keras_file',
    `${what} is not a readable HDF5 file (${hdf5Reason(text)}); the file is damaged or not a Keras model`,
    {
      cause: error,
    },
  );
}

interface KerasSource {
  format: KerasFormat;
  plan: ImportPlan;
  weights: LayerWeights;
  kerasVersion: string | null;
  backend: string | null;
}

async function readLegacyH5(bytes: Buffer, limits: KerasImportLimits): Promise<KerasSource> {
  try {
    return await withHdf5File(bytes, (file) => {
      const configText = stringAttribute(file, 'model_config');
      if (configText === undefined) {
        throw new KerasImportError(
          'bad_config',
          'the HDF5 file has no model_config attribute; it is not a whole Keras model (save it with model.save)',
        );
      }
      const plan = planImport(parseJson(configText, 'the model_config attribute'));
      const weights = readLegacyWeights(file, plan, new WeightReader(bytes.length, limits.maxParameters));
      return {
        format: 'keras-h5' as const,
        plan,
        weights,
        kerasVersion: stringAttribute(file, 'keras_version') ?? null,
        backend: stringAttribute(file, 'backend') ?? null,
      };
    });
  } catch (error) {
    throw hdf5Failure(error, 'the file');
  }
}

async function readKerasV3(bytes: Buffer, limits: KerasImportLimits): Promise<KerasSource> {
  const archive = await readKerasArchive(bytes, {
    maxEntries: limits.maxArchiveEntries,
    maxBytes: limits.maxBytes,
  });
  const plan = planImport(parseJson(archive.config, 'config.json'));
  const metadata = archive.metadata === undefined ? {} : parseJson(archive.metadata, 'metadata.json');
  const field = (key: string) => {
    const value = (metadata as Record<string, unknown> | null)?.[key];
    return typeof value === 'string' ? value : null;
  };
  if (sniffKerasFormat(archive.weights) !== 'keras-h5') {
    throw new KerasImportError('not_keras_file', 'model.weights.h5 in the archive is not an HDF5 file');
  }
  try {
    const weights = await withHdf5File(archive.weights, (file) =>
      readV3Weights(file, plan, new WeightReader(archive.weights.length, limits.maxParameters)),
    );
    return {
      format: 'keras-v3',
      plan,
      weights,
      kerasVersion: field('keras_version'),
      backend: field('backend') ?? null,
    };
  } catch (error) {
    throw hdf5Failure(error, 'model.weights.h5 in the archive');
  }
}

/** Builds the model; on a config TensorFlow.js refuses, disposes the weights it had made so far. */
async function buildModel(topology: tf.serialization.ConfigDict): Promise<tf.LayersModel> {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return await tf.models.modelFromJSON({ modelTopology: topology });
  } catch (error) {
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
      if (!before.has(name)) variable.dispose();
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new KerasImportError('bad_config', `the layers do not fit together: ${message}`, { cause: error });
  }
}

function setWeights(model: tf.LayersModel, graph: KerasGraph, weights: LayerWeights): void {
  for (const node of graph.layers) {
    const layer = model.getLayer(node.name);
    const stored = weights.get(node.name) ?? [];
    if (layer.weights.length !== stored.length) {
      throw new KerasImportError(
        'weight_shape_mismatch',
        `layer "${node.name}" has ${layer.weights.length} weights, the file ${stored.length}`,
      );
    }
    const values = layer.weights.map((variable) => {
      const short = variable.originalName.split('/').pop();
      const weight = stored.find((entry) => entry.name.split('/').pop() === short);
      const expected = variable.shape as number[];
      if (
        !weight ||
        weight.shape.length !== expected.length ||
        weight.shape.some((dim, i) => dim !== expected[i])
      ) {
        throw new KerasImportError(
          'weight_shape_mismatch',
          `weight ${node.name}/${short} has shape ${weight ? shapeText(weight.shape) : 'none'} in the file but the model needs ${shapeText(expected)}`,
        );
      }
      return weight;
    });
    if (values.length > 0) {
      tf.tidy(() => layer.setWeights(values.map((weight) => tf.tensor(weight.values, weight.shape))));
    }
  }
}

/**
 * Reads a Keras model (legacy HDF5 or Keras 3 archive, told apart by their first bytes) and returns
 * an equivalent TensorFlow.js model that takes [n, 32, 32, 3] and emits 10 logits. Refuses what it
 * cannot convert exactly with a KerasImportError; leaves no tensors or files behind either way.
 */
export async function importKerasModel(
  bytes: Buffer,
  options: Partial<KerasImportLimits> = {},
): Promise<ImportedKerasModel> {
  const limits = { ...DEFAULT_KERAS_IMPORT_LIMITS, ...options };
  if (bytes.length > limits.maxBytes) {
    throw new KerasImportError(
      'too_large',
      `the file has ${bytes.length} bytes; at most ${limits.maxBytes} are accepted`,
    );
  }
  let source: KerasSource;
  const format = sniffKerasFormat(bytes);
  if (format === 'keras-h5') source = await readLegacyH5(bytes, limits);
  else if (format === 'keras-v3') source = await readKerasV3(bytes, limits);
  else {
    throw new KerasImportError(
      'not_keras_file',
      'the file is neither a Keras HDF5 model (.h5) nor a Keras 3 archive (.keras); save the model with model.save("model.keras") or model.save("model.h5")',
    );
  }
  const { served, output } = source.plan;
  const model = await buildModel(toTfjsTopology(served));
  try {
    const outputShape = model.outputs[0]!.shape;
    if (model.outputs.length !== 1 || outputShape.length !== 2 || outputShape[1] !== NUM_CLASSES) {
      throw new KerasImportError(
        'wrong_output',
        `the model outputs shape ${shapeText(model.outputs.length === 1 ? outputShape : [])}; it must output ${NUM_CLASSES} classes ([null, ${NUM_CLASSES}]), in the CIFAR-10 label order`,
      );
    }
    setWeights(model, served, source.weights);
    return {
      model,
      origin: {
        format: source.format,
        kerasVersion: source.kerasVersion,
        backend: source.backend,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
      output,
      layers: source.plan.source.layers.map(({ name, className }) => ({ name, className })),
      parameters: model.weights.reduce(
        (sum, weight) => sum + weight.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
        0,
      ),
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
