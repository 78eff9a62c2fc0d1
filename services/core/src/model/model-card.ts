// The model card stored next to every model version (card.json): what the model is, how it was
// made, how well it does. Serving reads its normalisation; the registry and dashboard show the rest.
import type { Normalisation } from '../preprocess.js';
import type { ArchitectureSpec } from './architecture.js';

export interface EvaluationMetrics {
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Accuracy per class label. */
  perClass: Record<string, number>;
  /** confusion[actual][predicted] counts, in LABELS order. */
  confusion: number[][];
  n: number;
  /** What was evaluated, e.g. the file name of the evaluation set. */
  dataset: string;
}

export interface ModelCard {
  /** Set by the registry when published (v1, v2, ...); absent in a card on disk. */
  version?: string;
  parent: string | null;
  createdAt: string;
  labels: string[];
  architecture: ArchitectureSpec & { parameters: number; inputShape: number[] };
  normalisation: Normalisation;
  preprocessVersion: number;
  training: Record<string, unknown>;
  metrics: EvaluationMetrics | null;
  sizeBytes?: number;
}
