// Messages between the training coordinator and its data-parallel worker threads.
import type { Normalisation } from '@visionops/core';
import type { BackendPreference, BackendSkip } from '@visionops/core/engine';
import type { ArchitectureSpec } from '@visionops/core/model';
import type { Augmentation } from './augment.js';

export interface WorkerInit {
  architecture: ArchitectureSpec;
  backend: BackendPreference;
  /** n * 3072 uint8 HWC images and n labels, shared (not copied) between threads. */
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  normalisation: Normalisation;
  augmentation: Augmentation;
  labelSmoothing: number;
  /** Decoupled weight decay applied to convolution and dense kernels. */
  weightDecay: number;
  momentum: number;
  /** Start from these model weights (all weights in model.weights order), else fresh init seeded by `seed`. */
  weights?: Float32Array[];
  /** Optimizer slot values (momentum accumulators) in trainable-weight order. */
  optimizerState?: Float32Array[];
  seed: number;
}

export type WorkerRequest =
  | { type: 'init'; init: WorkerInit }
  | {
      type: 'step';
      /** Averaged gradients of the previous step to apply first (flattened, trainable order). */
      apply?: { gradients: Float32Array; learningRate: number };
      /** Indices into the shared images to compute this step's gradients on; empty: apply only. */
      indices: Int32Array;
      seed: number;
    }
  | { type: 'evaluate'; indices: Int32Array }
  | { type: 'get-state' }
  | { type: 'set-weights'; weights: Float32Array[] };

export interface StepResult {
  gradients: Float32Array;
  loss: number;
  correct: number;
  count: number;
}

export interface WorkerState {
  weights: Float32Array[];
  /** Names of the weights, for telling moving statistics from trainable ones. */
  names: string[];
  trainable: boolean[];
  optimizerState: Float32Array[];
}

export type WorkerResponse =
  | { type: 'ready'; backend: string; backendSkipped: BackendSkip[]; parameters: number }
  | { type: 'step'; result: StepResult | null }
  | { type: 'evaluate'; correct: number; count: number; loss: number }
  | { type: 'state'; state: WorkerState }
  | { type: 'ok' }
  | { type: 'error'; message: string; stack?: string };
