// Training checkpoints: every weight and optimizer slot after an epoch, plus the run's history, so
// an interrupted run resumes where it stopped. Written atomically (temporary file, then rename).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '@visionops/core/model';

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  learningRate: number;
  seconds: number;
  imagesPerSec: number;
}

export interface Checkpoint {
  /** Epochs completed. */
  epoch: number;
  /** A fingerprint of the options that must match for a resume to be valid. */
  runKey: string;
  history: EpochRecord[];
  weights: Float32Array[];
  optimizerState: Float32Array[];
}

interface CheckpointMeta {
  epoch: number;
  runKey: string;
  history: EpochRecord[];
  weightSizes: number[];
  optimizerSizes: number[];
}

export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  const arrays = [...checkpoint.weights, ...checkpoint.optimizerState];
  const data = Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  const meta: CheckpointMeta = {
    epoch: checkpoint.epoch,
    runKey: checkpoint.runKey,
    history: checkpoint.history,
    weightSizes: checkpoint.weights.map((a) => a.length),
    optimizerSizes: checkpoint.optimizerState.map((a) => a.length),
  };
  // Data first, metadata last: a checkpoint.json always describes a complete checkpoint.bin.
  await writeAtomically(join(dir, 'checkpoint.bin'), data);
  await writeAtomically(join(dir, 'checkpoint.json'), JSON.stringify(meta, null, 1));
}

export async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as CheckpointMeta;
  } catch {
    return undefined;
  }
  const data = await readFile(join(dir, 'checkpoint.bin'));
  const floats = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  let offset = 0;
  const take = (sizes: number[]) =>
    sizes.map((size) => {
      const part = floats.slice(offset, offset + size);
      offset += size;
      return part;
    });
  const weights = take(meta.weightSizes);
  const optimizerState = take(meta.optimizerSizes);
  if (offset !== floats.length) throw new Error(`${dir}: checkpoint.bin does not match checkpoint.json`);
  return { epoch: meta.epoch, runKey: meta.runKey, history: meta.history, weights, optimizerState };
}
