// The optional evaluation figures of a model card. The gateway's schema declares only `accuracy`
// and passes the rest of the card's metrics through as they were published, so the dashboard
// checks their shape before it draws them.
import type { ModelCard } from '../api/client.js';

export interface EvaluationDetails {
  accuracy: number;
  perClass: Record<string, number> | null;
  confusion: number[][] | null;
  /** Number of evaluation images. */
  n: number | null;
  dataset: string | null;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function perClassOf(value: unknown): Record<string, number> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  return entries.every(([, accuracy]) => isNumber(accuracy)) ? Object.fromEntries(entries) : null;
}

function confusionOf(value: unknown): number[][] | null {
  if (!Array.isArray(value)) return null;
  const rows: unknown[] = value;
  return rows.every((row): row is number[] => Array.isArray(row) && row.every(isNumber)) ? rows : null;
}

export function evaluationDetails(card: ModelCard): EvaluationDetails | null {
  const metrics = card.metrics;
  if (!metrics) return null;
  return {
    accuracy: metrics.accuracy,
    perClass: perClassOf(metrics.perClass),
    confusion: confusionOf(metrics.confusion),
    n: isNumber(metrics.n) ? metrics.n : null,
    dataset: typeof metrics.dataset === 'string' ? metrics.dataset : null,
  };
}
