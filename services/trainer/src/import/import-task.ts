// What the import thread is given and answers: the Keras file converted to TF.js files, and the
// converted model and production measured on the same evaluation images, each with its own
// preprocessing.
import type { Normalisation } from '@visionops/core';
import type { BackendPreference } from '@visionops/core/engine';
import type { EvaluationMetrics, ModelFiles } from '@visionops/core/model';
import type { ReferencePredictions } from '../retrain/reference-predictions.js';

export interface ImportTask {
  backend: BackendPreference;
  file: Uint8Array;
  /** The preprocessing the imported model expects. */
  normalisation: Normalisation;
  production: { files: ModelFiles; normalisation: Normalisation };
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  datasetName: string;
}

export type ImportAnswer =
  | {
      ok: true;
      files: ModelFiles;
      metrics: EvaluationMetrics;
      productionMetrics: EvaluationMetrics;
      /** The imported model's answers on the drift reference sample of the evaluation set. */
      reference: ReferencePredictions;
      kerasVersion: string | null;
      kerasBackend: string | null;
      output: 'softmax' | 'logits';
      layers: number;
      parameters: number;
      engine: string;
    }
  /** `refused`: the file itself is unusable (the message says why); otherwise a fault of ours. */
  | { ok: false; refused: boolean; message: string; stack?: string };
