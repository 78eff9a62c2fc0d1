// The evaluation figures of a model card, as the Models page draws them. Cards published before the
// gate recorded per-class figures lack them: those fields are null.
import type { ModelCard } from '../api/client.js';

export interface EvaluationDetails {
  accuracy: number;
  perClass: Record<string, number> | null;
  /** confusion[actual][predicted] counts. */
  confusion: number[][] | null;
  /** Number of evaluation images. */
  n: number | null;
  dataset: string | null;
}

export function evaluationDetails(card: ModelCard): EvaluationDetails | null {
  const metrics = card.metrics;
  if (!metrics) return null;
  return {
    accuracy: metrics.accuracy,
    perClass: metrics.perClass ?? null,
    confusion: metrics.confusion ?? null,
    n: metrics.n ?? null,
    dataset: metrics.dataset ?? null,
  };
}
