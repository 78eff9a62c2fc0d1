// The figures GET /monitoring answers for one model version over a time window, computed from the
// prediction log's entries and the version's drift reference.
import { LABELS } from '@visionops/core';
import {
  DRIFT_MIN_PREDICTIONS,
  measureDrift,
  PSI_ALERT_THRESHOLD,
  PSI_WARN_THRESHOLD,
  type MonitoredPrediction,
} from '@visionops/core/monitoring';
import type { ReferenceLookup } from './drift-references.js';
import type { MonitoringReport } from './monitoring-schemas.js';
import type { PredictionRecord } from './prediction-record.js';

export const CONFIDENCE_BINS = 10;
export const RECENT_LOW_CONFIDENCE = 20;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function monitored(record: PredictionRecord): MonitoredPrediction {
  const [label, confidence] = record.top[0]!;
  return { classIndex: LABELS.indexOf(label), confidence, mean: record.mean, std: record.std };
}

/** What drift scores rest on: the reference (or why there is none) and the thresholds. */
export function driftBasis(lookup: ReferenceLookup) {
  const reference = 'reference' in lookup ? lookup.reference : undefined;
  return {
    reference: reference
      ? { source: reference.source, n: reference.n, createdAt: reference.createdAt }
      : null,
    ...('unavailable' in lookup && { unavailable: lookup.unavailable }),
    minPredictions: DRIFT_MIN_PREDICTIONS,
    warnThreshold: PSI_WARN_THRESHOLD,
    alertThreshold: PSI_ALERT_THRESHOLD,
  };
}

export function buildMonitoringReport(options: {
  version: string;
  from: number;
  to: number;
  records: readonly PredictionRecord[];
  lookup: ReferenceLookup;
  lowConfidence: number;
  thumbnailPolicy: string;
}): MonitoringReport {
  const { records, lookup } = options;
  const n = records.length;
  const reference = 'reference' in lookup ? lookup.reference : undefined;
  const counts = new Array<number>(LABELS.length).fill(0);
  const histogram = new Array<number>(CONFIDENCE_BINS).fill(0);
  let low = 0;
  for (const record of records) {
    const [label, confidence] = record.top[0]!;
    counts[LABELS.indexOf(label)]!++;
    histogram[Math.min(CONFIDENCE_BINS - 1, Math.floor(confidence * CONFIDENCE_BINS))]!++;
    if (confidence < options.lowConfidence) low++;
  }
  // Explained predictions include the saliency map's time: they would misstate serving latency.
  const latencies = records
    .filter((record) => !record.ex)
    .map((record) => record.ms)
    .sort((a, b) => a - b);
  const drift = reference && measureDrift(reference, records.map(monitored));
  return {
    version: options.version,
    window: { from: new Date(options.from).toISOString(), to: new Date(options.to).toISOString() },
    predictions: n,
    classes: LABELS.map((label, c) => ({
      label,
      count: counts[c]!,
      share: n === 0 ? 0 : counts[c]! / n,
      referenceShare: reference ? reference.classFractions[c]! : null,
    })),
    confidenceHistogram: histogram.map((count, i) => ({
      from: i / CONFIDENCE_BINS,
      to: (i + 1) / CONFIDENCE_BINS,
      count,
    })),
    lowConfidence: { threshold: options.lowConfidence, count: low, rate: n === 0 ? 0 : low / n },
    latencyMs:
      latencies.length === 0
        ? null
        : { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
    drift: {
      ...driftBasis(lookup),
      ...(drift && { enough: drift.enough, alert: drift.alert, fired: drift.fired, signals: drift.signals }),
    },
    recentLowConfidence: records
      .filter((record) => record.top[0]![1] < options.lowConfidence)
      .slice(-RECENT_LOW_CONFIDENCE)
      .reverse()
      .map((record) => ({
        predictionId: record.id,
        time: new Date(record.t).toISOString(),
        label: record.top[0]![0],
        confidence: record.top[0]![1],
        stored: record.img === true,
        thumbnailUrl: null,
      })),
    thumbnailPolicy: options.thumbnailPolicy,
  };
}
