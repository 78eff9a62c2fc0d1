// The model card stored next to every model version (card.json): what the model is, how it was
// made, how well it does. Serving reads its normalisation; the registry and dashboard show the rest.
import type { ImportOrigin } from '../contract/jobs.js';
import type { Normalisation } from '../preprocess.js';
import type { ArchitectureSpec } from './architecture.js';

/** An imported model's architecture: whatever its Keras file described, summarised. */
export interface ImportedArchitecture {
  name: 'keras';
  /** Layers of the converted model, by Keras class name. */
  layers: number;
}

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
  architecture: (ArchitectureSpec | ImportedArchitecture) & { parameters: number; inputShape: number[] };
  /** Where an imported version came from; absent for versions visionops trained. */
  origin?: ImportOrigin;
  normalisation: Normalisation;
  preprocessVersion: number;
  training: Record<string, unknown>;
  metrics: EvaluationMetrics | null;
  sizeBytes?: number;
}

/** The card's architecture when visionops can rebuild (and so fine-tune) it; undefined for an imported one. */
export function trainableArchitecture(card: Pick<ModelCard, 'architecture'>): ArchitectureSpec | undefined {
  const { architecture } = card;
  if (architecture.name !== 'resnet9') return undefined;
  const { width, testTimeAugmentation } = architecture;
  // A retrained version is served as its parent is.
  return testTimeAugmentation && testTimeAugmentation !== 'none'
    ? { name: 'resnet9', width, testTimeAugmentation }
    : { name: 'resnet9', width };
}
