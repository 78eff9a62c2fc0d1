// The weights of a saved model as float arrays in model.weights order, read straight from
// weights.bin by its manifest: the training threads start from them, no model is built here.
import type { ModelFiles } from '@visionops/core/model';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export function weightsFromFiles(files: ModelFiles): Float32Array[] {
  const json = JSON.parse(files.modelJson.toString('utf8')) as {
    weightsManifest: { weights: WeightSpec[] }[];
  };
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const bytes = files.weightsBin;
  let offset = 0;
  const weights = specs.map((spec) => {
    if (spec.dtype !== 'float32')
      throw new Error(`weight ${spec.name} is ${spec.dtype}; only float32 is supported`);
    const length = spec.shape.reduce((a, b) => a * b, 1);
    // A copy: weights.bin's offsets need not be 4-byte aligned inside its Buffer.
    const values = new Float32Array(length);
    new Uint8Array(values.buffer).set(bytes.subarray(offset, offset + length * 4));
    offset += length * 4;
    return values;
  });
  if (offset !== bytes.length)
    throw new Error(`weights.bin has ${bytes.length} bytes, the manifest describes ${offset}`);
  return weights;
}
