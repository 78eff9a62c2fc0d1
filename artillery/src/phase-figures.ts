// Splits a retrain-under-load run into before / while training / around the swap, from artillery's
// 10 s periods and the driver's own timestamps of the job and the swap.
import type { WindowFigures } from './artillery-report.js';
import type { PhaseFigures } from './run-result.js';

const worst = (values: (number | undefined)[]) => {
  const present = values.filter((value): value is number => value !== undefined);
  return present.length > 0 ? Math.max(...present) : undefined;
};

/** Figures of the periods whose span [from, to] overlaps [start, end] (epoch ms). */
export function phaseFigures(periods: readonly WindowFigures[], start: number, end: number): PhaseFigures {
  const inside = periods.filter((period) => period.from <= end && period.to >= start);
  return {
    periods: inside.length,
    responses: inside.reduce((total, period) => total + period.responses, 0),
    failed: inside.reduce((total, period) => total + period.failed, 0),
    p50: worst(inside.map((period) => period.latency?.p50)),
    p95: worst(inside.map((period) => period.latency?.p95)),
    p99: worst(inside.map((period) => period.latency?.p99)),
  };
}

export interface RetrainTimeline {
  /** Epoch ms: load started, job submitted, job completed, new version first served. */
  loadStartedAt: number;
  submittedAt: number;
  completedAt: number | undefined;
  swappedAt: number | undefined;
}

/**
 * Before: periods that ended before the job was submitted. Training: from submission until the
 * job completed. Swap: from completion until the gateway served the new version (the gateway
 * loads, warms up and commits the model in this span).
 */
export function retrainPhases(periods: readonly WindowFigures[], timeline: RetrainTimeline) {
  const completed = timeline.completedAt ?? Number.POSITIVE_INFINITY;
  const swapped = timeline.swappedAt ?? completed;
  return {
    before: phaseFigures(
      periods.filter((period) => period.to < timeline.submittedAt),
      timeline.loadStartedAt,
      timeline.submittedAt,
    ),
    training: phaseFigures(periods, timeline.submittedAt, completed),
    swap: phaseFigures(periods, completed, swapped),
  };
}
