// TensorFlow.js layers models written as legacy Keras HDF5 files (the layout of Keras 2's
// model.save("x.h5"), which tf.keras 2.x and Keras 3 both load), with weights named the Keras 2 way.
import type * as tf from '@tensorflow/tfjs';
import { createHdf5File } from './hdf5-file.js';
import type { Group } from './hdf5-file.js';

export interface KerasExportOptions {
  /** Written as keras_version; the file follows this version's conventions. */
  kerasVersion?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * TensorFlow.js serialises Keras 2 style configs already; what differs is mapped here. Its
 * VarianceScaling "normal" draws from a truncated normal, which Keras calls "truncated_normal"
 * (Keras 3 refuses "normal").
 */
function toKerasSpelling(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toKerasSpelling);
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) out[key] = toKerasSpelling(item);
  if (
    out['class_name'] === 'VarianceScaling' &&
    isObject(out['config']) &&
    out['config']['distribution'] === 'normal'
  ) {
    out['config'] = { ...out['config'], distribution: 'truncated_normal' };
  }
  return out;
}

/** Keras writes its JSON with json.dumps (ASCII only); non-ASCII characters become \u escapes. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** h5py stores Python bytes as variable-length ASCII strings; Keras writes its names as bytes. */
function bytesAttribute(node: Group, name: string, value: string | string[]): void {
  if (Array.isArray(value)) {
    if (value.length === 0) node.create_attribute(name, new Float64Array(0), [0], '<f8');
    else node.create_attribute(name, value, [value.length], 'A');
  } else {
    node.create_attribute(name, value, null, 'A');
  }
}

/** The model's config as Keras expects it in model_config: {class_name, config}. */
export function kerasModelConfig(model: tf.LayersModel): Json {
  const topology = model.toJSON(null, false) as Json;
  const className = topology['class_name'] === 'Sequential' ? 'Sequential' : 'Functional';
  return { class_name: className, config: toKerasSpelling(topology['config']) };
}

/**
 * Writes `model` as a legacy Keras HDF5 file: root attributes keras_version, backend and
 * model_config; group model_weights (attributes layer_names, backend, keras_version) with a group
 * per layer whose attribute weight_names lists "<layer>/<weight>:0" and whose datasets sit at
 * model_weights/<layer>/<layer>/<weight>:0. Keras loads the weights in that (layer, weight) order.
 */
export async function exportKerasH5(
  model: tf.LayersModel,
  options: KerasExportOptions = {},
): Promise<Buffer> {
  const kerasVersion = options.kerasVersion ?? '2.15.0';
  const modelConfig = kerasModelConfig(model);
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    weights: layer.weights.map((variable) => ({
      name: `${layer.name}/${variable.originalName.split('/').pop()!}:0`,
      shape: variable.shape as number[],
      values: variable.read().dataSync() as Float32Array,
    })),
  }));
  return createHdf5File((file) => {
    bytesAttribute(file, 'keras_version', kerasVersion);
    bytesAttribute(file, 'backend', 'tensorflow');
    bytesAttribute(file, 'model_config', asciiJson(modelConfig));
    const root = file.create_group('model_weights');
    bytesAttribute(
      root,
      'layer_names',
      layers.map((layer) => layer.name),
    );
    bytesAttribute(root, 'backend', 'tensorflow');
    bytesAttribute(root, 'keras_version', kerasVersion);
    // Keras creates the groups sorted by name, so no group name is created after a prefix of it.
    for (const layer of [...layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const group = root.create_group(layer.name);
      bytesAttribute(
        group,
        'weight_names',
        layer.weights.map((weight) => weight.name),
      );
      if (layer.weights.length === 0) continue;
      const inner = group.create_group(layer.name);
      for (const weight of layer.weights) {
        inner.create_dataset({
          name: weight.name.split('/').pop()!,
          data: weight.values,
          shape: weight.shape,
          dtype: '<f4',
        });
      }
    }
  });
}
