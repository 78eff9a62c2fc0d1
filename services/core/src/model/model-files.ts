// TF.js layers models as files: model.json + weights.bin, the one format used for training,
// storage in S3 and serving. Works on every backend (no tfjs-node file:// handler needed).
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ModelFiles {
  /** model.json contents: topology plus a weights manifest that points at weights.bin. */
  modelJson: Buffer;
  weightsBin: Buffer;
}

/** Serialises a model to the two files of the TF.js layers format. */
export async function modelToFiles(model: tf.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      if (!artifacts.weightSpecs || !artifacts.weightData) throw new Error('model has no weights to save');
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json = {
        format: 'layers-model',
        generatedBy: 'visionops',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        // How the model is served (its test-time augmentation); TF.js's own loaders read it too.
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      files = { modelJson: Buffer.from(JSON.stringify(json)), weightsBin: Buffer.from(weightData) };
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }),
  );
  if (!files) throw new Error('model was not serialised');
  return files;
}

/** Builds a model from the two files; the caller owns (and must dispose) the result. */
export async function modelFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  const json = JSON.parse(files.modelJson.toString('utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: Record<string, unknown>;
  };
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const weightData = files.weightsBin.buffer.slice(
    files.weightsBin.byteOffset,
    files.weightsBin.byteOffset + files.weightsBin.byteLength,
  ) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData,
      ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
    }),
  );
}

/** Writes model.json and weights.bin into dir atomically per file (write, then rename). */
export async function saveModelToDir(model: tf.LayersModel, dir: string): Promise<ModelFiles> {
  const files = await modelToFiles(model);
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, 'weights.bin'), files.weightsBin);
  await writeAtomically(join(dir, 'model.json'), files.modelJson);
  return files;
}

export async function readModelFiles(dir: string): Promise<ModelFiles> {
  const [modelJson, weightsBin] = await Promise.all([
    readFile(join(dir, 'model.json')),
    readFile(join(dir, 'weights.bin')),
  ]);
  return { modelJson, weightsBin };
}

export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  return modelFromFiles(await readModelFiles(dir));
}

export async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
