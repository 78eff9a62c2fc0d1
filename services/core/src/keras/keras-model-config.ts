// Keras model configs (Keras 2 and Keras 3 spellings, Sequential and Functional) read into one
// small graph of supported layers, checked, and written as a TensorFlow.js layers topology.
import type * as tf from '@tensorflow/tfjs';
import { KerasImportError } from './keras-import-error.js';

type Json = Record<string, unknown>;

/** One layer of the model, its Keras config, and the layers whose outputs it takes. */
export interface KerasLayerNode {
  name: string;
  className: string;
  config: Json;
  inputs: string[];
}

export interface KerasGraph {
  kind: 'Sequential' | 'Functional';
  name: string;
  /** In the config's order, which is Keras' own (topological) order. */
  layers: KerasLayerNode[];
  input: string;
  output: string;
}

export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Conv2D',
  'Dense',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalMaxPooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Add',
  'Rescaling',
  'Softmax',
] as const;

/** Activations with the same definition in Keras and TensorFlow.js (Keras name -> TF.js name). */
const ACTIVATIONS: Readonly<Record<string, string>> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  softmax: 'softmax',
};

export const EXPECTED_INPUT_SHAPE = [32, 32, 3] as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badConfig(message: string): KerasImportError {
  return new KerasImportError('bad_config', `the model config is not a valid Keras model: ${message}`);
}

function unsupported(node: { name: string; className: string }, what: string): KerasImportError {
  return new KerasImportError(
    'unsupported_layer',
    `layer "${node.name}" (${node.className}) ${what}; supported layers: ${SUPPORTED_LAYERS.join(', ')}, ` +
      'channels_last, float32, with the options Keras and TensorFlow.js share',
  );
}

/** The weights a layer holds in Keras' (and TensorFlow.js') order, by their short names. */
export function weightNamesOf(node: KerasLayerNode): string[] {
  const flag = (key: string) => node.config[key] !== false;
  switch (node.className) {
    case 'Conv2D':
    case 'Dense':
      return flag('use_bias') ? ['kernel', 'bias'] : ['kernel'];
    case 'BatchNormalization':
      return [
        ...(flag('scale') ? ['gamma'] : []),
        ...(flag('center') ? ['beta'] : []),
        'moving_mean',
        'moving_variance',
      ];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Reading: Keras JSON -> KerasGraph

function layerName(layer: Json): string {
  const config = isObject(layer['config']) ? layer['config'] : {};
  const name = layer['name'] ?? config['name'];
  // TensorFlow.js names weights after their layer and accepts only these characters.
  if (typeof name !== 'string' || !/^[A-Za-z0-9][-A-Za-z0-9._]{0,199}$/.test(name)) {
    throw badConfig(
      `layer name ${JSON.stringify(name)} is not supported; rename the layer with letters, digits, "_", "-" or "." only`,
    );
  }
  return name;
}

function layerOf(layer: unknown): Omit<KerasLayerNode, 'inputs'> {
  if (!isObject(layer) || typeof layer['class_name'] !== 'string' || !isObject(layer['config'])) {
    throw badConfig('a layer entry lacks class_name or config');
  }
  return { name: layerName(layer), className: layer['class_name'], config: layer['config'] };
}

function shapeFrom(config: Json): unknown {
  return config['batch_shape'] ?? config['batch_input_shape'] ?? undefined;
}

/** A Keras-3 tensor reference or a Keras-2 [layer, node, tensor(, kwargs)] list -> layer name. */
function historyOf(value: unknown): [string, number, number] | undefined {
  if (isObject(value) && value['class_name'] === '__keras_tensor__' && isObject(value['config'])) {
    return historyOf(value['config']['keras_history']);
  }
  if (
    Array.isArray(value) &&
    (value.length === 3 || value.length === 4) &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    typeof value[2] === 'number'
  ) {
    return [value[0], value[1], value[2]];
  }
  return undefined;
}

function collectTensors(value: unknown, into: [string, number, number][]): void {
  const history = historyOf(value);
  if (history) into.push(history);
  else if (Array.isArray(value)) for (const item of value) collectTensors(item, into);
}

function inboundOf(layer: Json, node: Omit<KerasLayerNode, 'inputs'>): string[] {
  const nodes = layer['inbound_nodes'] ?? [];
  if (!Array.isArray(nodes)) throw badConfig(`layer "${node.name}" has malformed inbound_nodes`);
  if (nodes.length === 0) return [];
  if (nodes.length > 1)
    throw unsupported(node, 'is applied more than once (shared layers are not supported)');
  const first: unknown = nodes[0];
  const tensors: [string, number, number][] = [];
  if (isObject(first)) {
    // Keras 3: {args: [...], kwargs: {...}}; tensors in kwargs (masks) are not supported.
    collectTensors(first['args'], tensors);
    const kwargTensors: [string, number, number][] = [];
    collectTensors(Object.values(isObject(first['kwargs']) ? first['kwargs'] : {}), kwargTensors);
    if (kwargTensors.length > 0) throw unsupported(node, 'takes tensors as keyword arguments');
  } else {
    collectTensors(first, tensors);
  }
  if (tensors.length === 0) throw badConfig(`layer "${node.name}" has an inbound node without inputs`);
  for (const [source, nodeIndex, tensorIndex] of tensors) {
    if (nodeIndex !== 0 || tensorIndex !== 0) {
      throw unsupported(
        node,
        `uses output ${nodeIndex}/${tensorIndex} of "${source}" (shared layers are not supported)`,
      );
    }
  }
  return tensors.map(([source]) => source);
}

function endpoint(value: unknown, what: string): string {
  // Keras 2 writes [[name, 0, 0]]; Keras 3 may write [name, 0, 0] for a single tensor.
  const tensors: [string, number, number][] = [];
  collectTensors(value, tensors);
  if (tensors.length !== 1)
    throw badConfig(`the model must have exactly one ${what}, found ${tensors.length}`);
  return tensors[0]![0];
}

function readSequential(config: Json, name: string): KerasGraph {
  const entries = Array.isArray(config['layers'])
    ? config['layers']
    : Array.isArray(config)
      ? config
      : undefined;
  if (!entries || entries.length === 0) throw badConfig('the Sequential model has no layers');
  const layers: KerasLayerNode[] = [];
  const parsed = entries.map(layerOf);
  if (parsed[0]!.className !== 'InputLayer') {
    // Keras 2 puts the input shape on the first layer; Keras 3 may keep it as build_input_shape.
    const shape = shapeFrom(parsed[0]!.config) ?? config['build_input_shape'];
    const inputShape = parsed[0]!.config['input_shape'];
    const batchShape =
      shape ?? (Array.isArray(inputShape) ? [null, ...(inputShape as unknown[])] : undefined);
    if (batchShape === undefined) {
      throw new KerasImportError(
        'wrong_input_shape',
        'the Sequential model does not declare its input shape',
      );
    }
    layers.push({
      name: `${parsed[0]!.name}_input`,
      className: 'InputLayer',
      config: { batch_shape: batchShape },
      inputs: [],
    });
  }
  for (const layer of parsed) {
    const previous = layers[layers.length - 1];
    layers.push({ ...layer, inputs: previous ? [previous.name] : [] });
  }
  return {
    kind: 'Sequential',
    name,
    layers,
    input: layers[0]!.name,
    output: layers[layers.length - 1]!.name,
  };
}

function readFunctional(config: Json, name: string): KerasGraph {
  const entries = config['layers'];
  if (!Array.isArray(entries) || entries.length === 0) throw badConfig('the Functional model has no layers');
  const layers = entries.map((entry) => {
    const node = layerOf(entry);
    return { ...node, inputs: inboundOf(entry as Json, node) };
  });
  return {
    kind: 'Functional',
    name,
    layers,
    input: endpoint(config['input_layers'], 'input'),
    output: endpoint(config['output_layers'], 'output'),
  };
}

/** Parses a model config (the JSON of model_config or config.json) into a checked graph. */
export function readKerasModelConfig(modelConfig: unknown): KerasGraph {
  if (!isObject(modelConfig) || typeof modelConfig['class_name'] !== 'string') {
    throw badConfig('it has no class_name');
  }
  const className = modelConfig['class_name'];
  const config = modelConfig['config'];
  if (!isObject(config) && !Array.isArray(config)) throw badConfig('it has no config');
  const name = isObject(config) && typeof config['name'] === 'string' ? config['name'] : 'imported';
  let graph: KerasGraph;
  if (className === 'Sequential') graph = readSequential(config as Json, name);
  else if (className === 'Functional' || className === 'Model') graph = readFunctional(config as Json, name);
  else {
    throw new KerasImportError(
      'unsupported_layer',
      `the model is a ${className}; only Sequential and Functional models can be imported (a subclassed model has no config to rebuild)`,
    );
  }
  checkGraph(graph);
  return graph;
}

function checkGraph(graph: KerasGraph): void {
  const seen = new Set<string>();
  for (const node of graph.layers) {
    if (seen.has(node.name)) throw badConfig(`two layers are named "${node.name}"`);
    for (const input of node.inputs) {
      if (!seen.has(input))
        throw badConfig(`layer "${node.name}" takes "${input}", which does not come before it`);
    }
    seen.add(node.name);
    if (!(SUPPORTED_LAYERS as readonly string[]).includes(node.className)) {
      throw unsupported(node, 'is not supported');
    }
    const inputs = node.className === 'InputLayer' ? 0 : node.className === 'Add' ? -1 : 1;
    if (inputs >= 0 && node.inputs.length !== inputs) {
      throw badConfig(`layer "${node.name}" (${node.className}) takes ${node.inputs.length} inputs`);
    }
    if (inputs < 0 && node.inputs.length < 2)
      throw badConfig(`layer "${node.name}" (Add) takes fewer than 2 inputs`);
  }
  const input = graph.layers.find((node) => node.name === graph.input);
  if (input?.className !== 'InputLayer')
    throw badConfig(`the model input "${graph.input}" is not an InputLayer`);
  if (graph.layers.filter((node) => node.className === 'InputLayer').length !== 1) {
    throw badConfig('the model must have exactly one InputLayer');
  }
  if (!seen.has(graph.output)) throw badConfig(`the model output "${graph.output}" is not one of its layers`);
  const shape = shapeFrom(input.config);
  const dims = Array.isArray(shape) ? shape.slice(1) : undefined;
  if (!dims || dims.length !== 3 || dims.some((dim, i) => dim !== EXPECTED_INPUT_SHAPE[i])) {
    throw new KerasImportError(
      'wrong_input_shape',
      `the model takes input of shape ${JSON.stringify(shape ?? null)}; it must take [null, 32, 32, 3] ` +
        '(32x32 RGB images, channels_last)',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Output: every served model emits logits

export type OutputKind = 'softmax' | 'logits';

function activationOf(node: KerasLayerNode): string | undefined {
  switch (node.className) {
    case 'Dense':
    case 'Conv2D':
    case 'Activation':
      return typeof node.config['activation'] === 'string' ? node.config['activation'] : 'linear';
    case 'Softmax':
      return 'softmax';
    case 'ReLU':
      return 'relu';
    default:
      return undefined;
  }
}

/**
 * Makes the graph emit the values before its final softmax (the gateway applies softmax, so the
 * probabilities stay exactly the same); a linear output is kept; any other final activation is
 * refused, because logits cannot be recovered from it.
 */
export function toLogitsOutput(graph: KerasGraph): { graph: KerasGraph; output: OutputKind } {
  const byName = new Map(graph.layers.map((node) => [node.name, node]));
  let last = byName.get(graph.output)!;
  // Dropout (at inference) and Flatten of a class vector leave the values as they are.
  while ((last.className === 'Dropout' || last.className === 'Flatten') && last.inputs.length === 1) {
    last = byName.get(last.inputs[0]!)!;
  }
  const activation = activationOf(last);
  if (activation === 'softmax') {
    const axis = last.config['axis'];
    if (
      last.className === 'Softmax' &&
      axis !== undefined &&
      axis !== -1 &&
      !(Array.isArray(axis) && axis[0] === -1)
    ) {
      throw new KerasImportError(
        'wrong_output',
        `the final Softmax "${last.name}" is over axis ${JSON.stringify(axis)}, not the class axis`,
      );
    }
    const linear: KerasLayerNode =
      last.className === 'Softmax'
        ? { ...last, className: 'Activation', config: { name: last.name, activation: 'linear' } }
        : { ...last, config: { ...last.config, activation: 'linear' } };
    return {
      graph: { ...graph, layers: graph.layers.map((node) => (node === last ? linear : node)) },
      output: 'softmax',
    };
  }
  if (activation === 'linear') return { graph, output: 'logits' };
  if (activation !== undefined) {
    throw new KerasImportError(
      'wrong_output',
      `the model ends in a ${activation} activation (layer "${last.name}"); it must end in softmax or emit logits (a linear output)`,
    );
  }
  // Pooling, Add, BatchNormalization, Rescaling: linear maps, unless a softmax or other squashing
  // activation comes before them, which would make the values probabilities of some kind.
  for (
    let node: KerasLayerNode | undefined = last;
    node;
    node = node.inputs.length === 1 ? byName.get(node.inputs[0]!) : undefined
  ) {
    const before = activationOf(node);
    if (before === 'softmax' || before === 'sigmoid') {
      throw new KerasImportError(
        'wrong_output',
        `the ${before} of layer "${node.name}" is followed by "${last.name}" (${last.className}); logits cannot be recovered from that output`,
      );
    }
    if (before !== undefined) break;
  }
  return { graph, output: 'logits' };
}

// ---------------------------------------------------------------------------------------------
// Writing: KerasGraph -> TensorFlow.js layers topology

function pair(node: KerasLayerNode, key: string, fallback?: [number, number]): [number, number] {
  const value = node.config[key] ?? fallback;
  const list = typeof value === 'number' ? [value, value] : value;
  if (
    !Array.isArray(list) ||
    list.length !== 2 ||
    !list.every((v) => Number.isInteger(v) && v >= 1 && v <= 1024)
  ) {
    throw badConfig(`layer "${node.name}" has ${key} ${JSON.stringify(value)}`);
  }
  return list as [number, number];
}

function positiveInteger(node: KerasLayerNode, key: string, max: number): number {
  const value = node.config[key];
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw badConfig(`layer "${node.name}" has ${key} ${JSON.stringify(value)}`);
  }
  return value as number;
}

function finiteNumber(node: KerasLayerNode, key: string, fallback: number): number {
  const value = node.config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw unsupported(node, `has ${key} ${JSON.stringify(value)} (a single number is supported)`);
  }
  return value;
}

function activation(node: KerasLayerNode): string {
  const value = node.config['activation'] ?? 'linear';
  const name = typeof value === 'string' ? ACTIVATIONS[value] : undefined;
  if (!name) throw unsupported(node, `uses activation ${JSON.stringify(value)}`);
  return name;
}

function padding(node: KerasLayerNode): string {
  const value = node.config['padding'] ?? 'valid';
  if (value !== 'valid' && value !== 'same') throw unsupported(node, `uses padding ${JSON.stringify(value)}`);
  return value;
}

function requireDefault(node: KerasLayerNode, key: string, allowed: readonly unknown[]): void {
  const value = node.config[key];
  if (value !== undefined && !allowed.some((ok) => JSON.stringify(ok) === JSON.stringify(value))) {
    throw unsupported(node, `has ${key} ${JSON.stringify(value)}`);
  }
}

function checkCommon(node: KerasLayerNode): void {
  requireDefault(node, 'data_format', ['channels_last', null]);
  // dtype: a string (Keras 2) or a DTypePolicy object (Keras 3); TensorFlow.js computes in float32.
  const dtype = node.config['dtype'];
  const policy = isObject(dtype) ? (isObject(dtype['config']) ? dtype['config']['name'] : undefined) : dtype;
  if (policy !== undefined && policy !== null && policy !== 'float32') {
    throw unsupported(node, `uses dtype policy ${JSON.stringify(policy)} (float32 is supported)`);
  }
}

/** The TensorFlow.js (Keras 2 style, snake_case) config of one supported layer. */
function tfjsLayerConfig(node: KerasLayerNode): Json {
  checkCommon(node);
  const base = { name: node.name, trainable: node.config['trainable'] !== false };
  switch (node.className) {
    case 'InputLayer':
      return { ...base, batch_input_shape: [null, ...EXPECTED_INPUT_SHAPE], dtype: 'float32', sparse: false };
    case 'Conv2D':
      requireDefault(node, 'groups', [1]);
      requireDefault(node, 'lora_rank', [null]);
      return {
        ...base,
        filters: positiveInteger(node, 'filters', 65_536),
        kernel_size: pair(node, 'kernel_size'),
        strides: pair(node, 'strides', [1, 1]),
        padding: padding(node),
        data_format: 'channels_last',
        dilation_rate: pair(node, 'dilation_rate', [1, 1]),
        activation: activation(node),
        use_bias: node.config['use_bias'] !== false,
      };
    case 'Dense':
      requireDefault(node, 'lora_rank', [null]);
      return {
        ...base,
        units: positiveInteger(node, 'units', 1 << 20),
        activation: activation(node),
        use_bias: node.config['use_bias'] !== false,
      };
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const poolSize = pair(node, 'pool_size', [2, 2]);
      return {
        ...base,
        pool_size: poolSize,
        strides: node.config['strides'] === null ? poolSize : pair(node, 'strides', poolSize),
        padding: padding(node),
        data_format: 'channels_last',
      };
    }
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling2D':
      requireDefault(node, 'keepdims', [false]);
      return { ...base, data_format: 'channels_last' };
    case 'Flatten':
      return { ...base, data_format: 'channels_last' };
    case 'Dropout': {
      const rate = finiteNumber(node, 'rate', 0);
      if (rate < 0 || rate >= 1) throw badConfig(`layer "${node.name}" has rate ${rate}`);
      return { ...base, rate };
    }
    case 'BatchNormalization': {
      for (const key of ['renorm', 'synchronized']) requireDefault(node, key, [false]);
      requireDefault(node, 'virtual_batch_size', [null]);
      const axisValue = node.config['axis'] ?? -1;
      const axis: unknown =
        Array.isArray(axisValue) && axisValue.length === 1 ? (axisValue[0] as unknown) : axisValue;
      if (!Number.isInteger(axis))
        throw unsupported(node, `normalises over axis ${JSON.stringify(axisValue)}`);
      return {
        ...base,
        axis,
        momentum: finiteNumber(node, 'momentum', 0.99),
        epsilon: finiteNumber(node, 'epsilon', 0.001),
        center: node.config['center'] !== false,
        scale: node.config['scale'] !== false,
      };
    }
    case 'Activation':
      return { ...base, activation: activation(node) };
    case 'ReLU':
      requireDefault(node, 'negative_slope', [0]);
      requireDefault(node, 'threshold', [0]);
      return { ...base, max_value: node.config['max_value'] ?? null };
    case 'Add':
      return base;
    case 'Rescaling':
      return { ...base, scale: finiteNumber(node, 'scale', 1), offset: finiteNumber(node, 'offset', 0) };
    case 'Softmax': {
      const axis = node.config['axis'] ?? -1;
      if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
        throw unsupported(node, `is over axis ${JSON.stringify(axis)} (the last axis is supported)`);
      }
      return { ...base, axis: -1 };
    }
    default:
      throw unsupported(node, 'is not supported');
  }
}

/** A TensorFlow.js layers-model topology (always a functional "Model") for the graph. */
export function toTfjsTopology(graph: KerasGraph): tf.serialization.ConfigDict {
  const topology = {
    class_name: 'Model',
    config: {
      name: graph.name,
      layers: graph.layers.map((node) => ({
        name: node.name,
        class_name: node.className,
        config: tfjsLayerConfig(node),
        inbound_nodes: node.inputs.length === 0 ? [] : [node.inputs.map((input) => [input, 0, 0, {}])],
      })),
      input_layers: [[graph.input, 0, 0]],
      output_layers: [[graph.output, 0, 0]],
    },
  };
  return topology as unknown as tf.serialization.ConfigDict;
}

// ---------------------------------------------------------------------------------------------
// Shapes: what every weight must be, known before TensorFlow.js builds (and allocates) anything

function convOutput(size: number, kernel: number, stride: number, dilation: number, pad: string): number {
  const span = (kernel - 1) * dilation + 1;
  return pad === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
}

/**
 * Each layer's output shape (without the batch axis) and the shape of each of its weights, by
 * short name, following the layers' definitions. Refuses layers that do not fit together.
 */
export function inferShapes(graph: KerasGraph): {
  outputs: Map<string, number[]>;
  weights: Map<string, Map<string, number[]>>;
} {
  const outputs = new Map<string, number[]>();
  const weights = new Map<string, Map<string, number[]>>();
  for (const node of graph.layers) {
    const config = tfjsLayerConfig(node);
    const inputs = node.inputs.map((name) => outputs.get(name)!);
    const x = inputs[0] ?? [...EXPECTED_INPUT_SHAPE];
    const misfit = (why: string) =>
      badConfig(`layer "${node.name}" (${node.className}) ${why}, its input is ${JSON.stringify(x)}`);
    const spatial = () => {
      if (x.length !== 3) throw misfit('needs an image-shaped input');
      return x as [number, number, number];
    };
    let y = x;
    const own = new Map<string, number[]>();
    switch (node.className) {
      case 'Conv2D': {
        const [h, w, c] = spatial();
        const [kh, kw] = config['kernel_size'] as [number, number];
        const [sh, sw] = config['strides'] as [number, number];
        const [dh, dw] = config['dilation_rate'] as [number, number];
        const filters = config['filters'] as number;
        const pad = config['padding'] as string;
        y = [convOutput(h, kh, sh, dh, pad), convOutput(w, kw, sw, dw, pad), filters];
        own.set('kernel', [kh, kw, c, filters]);
        if (config['use_bias']) own.set('bias', [filters]);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [h, w, c] = spatial();
        const [ph, pw] = config['pool_size'] as [number, number];
        const [sh, sw] = config['strides'] as [number, number];
        const pad = config['padding'] as string;
        y = [convOutput(h, ph, sh, 1, pad), convOutput(w, pw, sw, 1, pad), c];
        break;
      }
      case 'GlobalMaxPooling2D':
      case 'GlobalAveragePooling2D':
        y = [spatial()[2]];
        break;
      case 'Flatten':
        y = [x.reduce((a, b) => a * b, 1)];
        break;
      case 'Dense': {
        const units = config['units'] as number;
        y = [...x.slice(0, -1), units];
        own.set('kernel', [x[x.length - 1]!, units]);
        if (config['use_bias']) own.set('bias', [units]);
        break;
      }
      case 'BatchNormalization': {
        const axis = config['axis'] as number;
        const channels = x[axis < 0 ? x.length + axis : axis - 1];
        if (channels === undefined) throw misfit(`normalises over axis ${axis}`);
        for (const name of weightNamesOf(node)) own.set(name, [channels]);
        break;
      }
      case 'Add':
        if (inputs.some((shape) => JSON.stringify(shape) !== JSON.stringify(x))) {
          throw misfit(`adds inputs of different shapes ${JSON.stringify(inputs)}`);
        }
        break;
      default:
        // InputLayer, Dropout, Activation, ReLU, Rescaling, Softmax keep the shape.
        break;
    }
    if (y.some((dim) => !Number.isInteger(dim) || dim < 1)) throw misfit('leaves nothing of its input');
    outputs.set(node.name, y);
    if (own.size > 0) weights.set(node.name, own);
  }
  return { outputs, weights };
}
