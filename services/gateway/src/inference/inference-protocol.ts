// Messages between the gateway and its inference worker threads. A model change is two-phase
// (prepare on every worker, then commit), so a failure on any worker leaves all on the old model.
import type { Normalisation } from '@visionops/core';
import type { BackendName, BackendPreference, BackendSkip } from '@visionops/core/engine';
import type { SaliencyOptions } from '@visionops/core/model';

export interface InferenceWorkerData {
  backend: BackendPreference;
  /** Run at the lowest CPU priority (background work such as shadow scoring; Linux only). */
  lowPriority?: boolean;
}

export type ToInferenceWorker =
  | {
      type: 'prepare';
      loadId: number;
      version: string;
      modelJson: Uint8Array;
      weightsBin: Uint8Array;
      normalisation: Normalisation;
    }
  | { type: 'commit'; loadId: number }
  | { type: 'abort'; loadId: number }
  /** `pixels`: `count` decoded 32x32 RGB images (HWC uint8), normalised by the worker's model card. */
  | { type: 'predict'; batchId: number; count: number; pixels: Uint8Array }
  /** As `predict`, plus a saliency map of each image's predicted class. */
  | { type: 'explain'; batchId: number; count: number; pixels: Uint8Array; options: SaliencyOptions }
  | { type: 'stats'; statsId: number };

export type FromInferenceWorker =
  | { type: 'ready'; backend: BackendName; skipped: BackendSkip[] }
  | { type: 'init-failed'; message: string }
  | { type: 'prepared'; loadId: number }
  | { type: 'prepare-failed'; loadId: number; message: string }
  | { type: 'committed'; loadId: number }
  | {
      type: 'result';
      batchId: number;
      version: string;
      probabilities: Float32Array;
      busyMs: number;
      /** For `explain`: one 32x32 map per image (row-major, not rescaled). */
      saliency?: Float32Array[];
    }
  | { type: 'predict-failed'; batchId: number; message: string }
  | { type: 'stats'; statsId: number; numTensors: number; version: string | null };
