// What the evaluation thread is given and answers: candidate and production measured on the same
// images, and the candidate serialised to model files.
import type { Normalisation } from '@visionops/core';
import type { BackendPreference } from '@visionops/core/engine';
import type { ArchitectureSpec, EvaluationMetrics, ModelFiles } from '@visionops/core/model';
import type { ReferencePredictions } from './reference-predictions.js';

export interface EvaluationTask {
  backend: BackendPreference;
  architecture: ArchitectureSpec;
  /** The fine-tuned weights, in model.weights order. */
  candidateWeights: Float32Array[];
  parentFiles: ModelFiles;
  normalisation: Normalisation;
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  datasetName: string;
}

export type EvaluationAnswer =
  | {
      ok: true;
      candidate: EvaluationMetrics;
      parent: EvaluationMetrics;
      candidateFiles: ModelFiles;
      /** The candidate's answers on the drift reference sample of the evaluation set. */
      reference: ReferencePredictions;
    }
  | { ok: false; message: string; stack?: string };
