// GET /monitoring/history's figures: the prediction log's window cut into equal buckets, each
// measured against the version's drift reference as GET /monitoring measures a window.
import { measureDrift, type DriftReference } from '@visionops/core/monitoring';
import { monitored } from './monitoring-report.js';
import type { DriftHistory } from './monitoring-schemas.js';
import type { PredictionRecord } from './prediction-record.js';

/** Buckets one answer holds at most: the chart stays readable and the work bounded. */
export const MAX_HISTORY_BUCKETS = 240;

export function buildDriftHistory(options: {
  version: string;
  from: number;
  to: number;
  stepMs: number;
  /** The log's entries of the version in [from, to], oldest first. */
  records: readonly PredictionRecord[];
  reference: DriftReference | undefined;
}): Omit<DriftHistory, 'drift'> {
  const { from, to, stepMs, records, reference } = options;
  const count = Math.max(1, Math.ceil((to - from) / stepMs));
  const buckets: PredictionRecord[][] = Array.from({ length: count }, () => []);
  for (const record of records) {
    if (record.t < from || record.t > to) continue;
    buckets[Math.min(count - 1, Math.floor((record.t - from) / stepMs))]!.push(record);
  }
  return {
    version: options.version,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    stepSeconds: stepMs / 1000,
    buckets: buckets.map((bucket, i) => {
      const start = from + i * stepMs;
      const drift =
        reference && bucket.length > 0 ? measureDrift(reference, bucket.map(monitored)) : undefined;
      return {
        from: new Date(start).toISOString(),
        to: new Date(Math.min(to, start + stepMs)).toISOString(),
        predictions: bucket.length,
        enough: drift?.enough ?? false,
        alert: drift?.alert ?? false,
        fired: drift?.fired ?? [],
        scores: drift ? Object.fromEntries(drift.signals.map((score) => [score.signal, score.psi])) : null,
      };
    }),
  };
}
