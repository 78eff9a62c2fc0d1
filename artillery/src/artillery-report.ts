// Artillery's JSON output (`artillery run --output`) reduced to what the report and the SLOs need:
// totals for the whole run, and one row per reporting period (artillery's 10 s time slices).

/** A latency summary as artillery writes it (milliseconds). */
export interface ArtillerySummary {
  min: number;
  max: number;
  count: number;
  mean: number;
  p50: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
}

/** The aggregate or one intermediate period of an artillery report. */
export interface ArtilleryPeriod {
  /** Start of the period, epoch ms (a string in intermediate periods). */
  period: number | string;
  counters: Record<string, number>;
  summaries: Record<string, ArtillerySummary>;
  firstMetricAt: number;
  lastMetricAt: number;
}

export interface ArtilleryReport {
  aggregate: ArtilleryPeriod;
  intermediate: ArtilleryPeriod[];
}

/** Latency and outcome figures of a span of time: the whole run or one period. */
export interface WindowFigures {
  /** Epoch ms of the first and last metric recorded in the span. */
  from: number;
  to: number;
  /** Answers received (any status). */
  responses: number;
  /** Answers per second over the span (from first to last metric, at least 1 s). */
  perSecond: number;
  /** Virtual users that arrived (started or dropped at maxVusers), per second; in one-request scenarios, the offered load. */
  arrivalsPerSecond: number;
  /** Responses with status 200. */
  ok: number;
  /** Predictions that did not succeed: non-200 answers plus requests that got no answer. */
  failed: number;
  /** Answers with a 5xx status. */
  serverErrors: number;
  /** Arrivals artillery dropped because maxVusers was reached. */
  skipped: number;
  /** Response time in ms; undefined when no answer arrived in the span. */
  latency: Pick<ArtillerySummary, 'min' | 'max' | 'mean' | 'p50' | 'p95' | 'p99'> | undefined;
  codes: Record<string, number>;
  errors: Record<string, number>;
}

const RESPONSE_TIME = 'http.response_time';

function counted(counters: Record<string, number>, prefix: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (name.startsWith(prefix)) found[name.slice(prefix.length)] = value;
  }
  return found;
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/** The figures of one artillery period (or of the aggregate). */
export function windowFigures(period: ArtilleryPeriod): WindowFigures {
  const { counters } = period;
  const codes = counted(counters, 'http.codes.');
  const errors = counted(counters, 'errors.');
  const responses = counters['http.responses'] ?? sum(codes);
  const ok = codes['200'] ?? 0;
  const serverErrors = sum(
    Object.fromEntries(Object.entries(codes).filter(([code]) => code.startsWith('5'))),
  );
  const seconds = Math.max(1, (period.lastMetricAt - period.firstMetricAt) / 1000);
  const summary = period.summaries[RESPONSE_TIME];
  return {
    from: period.firstMetricAt,
    to: period.lastMetricAt,
    responses,
    perSecond: responses / seconds,
    arrivalsPerSecond: ((counters['vusers.created'] ?? 0) + (counters['vusers.skipped'] ?? 0)) / seconds,
    ok,
    failed: responses - ok + sum(errors),
    serverErrors,
    skipped: counters['vusers.skipped'] ?? 0,
    latency: summary && {
      min: summary.min,
      max: summary.max,
      mean: summary.mean,
      p50: summary.p50,
      p95: summary.p95,
      p99: summary.p99,
    },
    codes,
    errors,
  };
}

export interface ReportFigures {
  total: WindowFigures;
  /** One entry per artillery period, in time order. */
  periods: WindowFigures[];
}

export function reportFigures(report: ArtilleryReport): ReportFigures {
  const periods = [...report.intermediate]
    .sort((a, b) => Number(a.period) - Number(b.period))
    .map(windowFigures)
    .filter((figures) => figures.responses > 0 || figures.failed > 0);
  return { total: windowFigures(report.aggregate), periods };
}

/** Throws unless `value` looks like artillery's JSON output, so a wrong file fails with a reason. */
export function parseArtilleryReport(value: unknown, source: string): ArtilleryReport {
  const report = value as Partial<ArtilleryReport> | null;
  if (!report || typeof report.aggregate?.counters !== 'object' || !Array.isArray(report.intermediate)) {
    throw new Error(`${source} is not an artillery report (no aggregate counters or intermediate periods)`);
  }
  return report as ArtilleryReport;
}

/** Where latency starts to rise with the offered load, in a ramp of open-model arrivals. */
export interface Knee {
  /** The period (index into `periods`) where it showed first. */
  index: number;
  /** Offered arrivals/s and answers/s in that period, and in the last period before it. */
  offered: number;
  achieved: number;
  lastGood: { offered: number; achieved: number; p95: number } | undefined;
  /** What showed it: p95 at least twice the unloaded p95 (and 50 ms more), or answers lagging arrivals. */
  reason: string;
}

/**
 * The first period of a ramp from which on, for two periods in a row (or to the end), p95 is at
 * least twice the unloaded p95 (the lower of the first two periods, which may be partial or cold)
 * and 50 ms above it (a rise a user notices, not 12 ms becoming 26), or fewer than 90% of the
 * arrivals got an answer. Two in a row, so one noisy
 * period on a shared machine does not count as the knee. Undefined when the ramp never got there.
 */
export function findKnee(periods: readonly WindowFigures[]): Knee | undefined {
  const loaded = periods.filter((p) => p.latency !== undefined && p.arrivalsPerSecond > 0);
  if (loaded.length < 2) return undefined;
  const baseline = Math.min(loaded[0]!.latency!.p95, loaded[1]!.latency!.p95);
  const beyond = (period: WindowFigures) => {
    const p95 = period.latency!.p95;
    if (p95 >= 2 * baseline && p95 >= baseline + 50) {
      return `p95 ${p95.toFixed(0)} ms against ${baseline.toFixed(0)} ms unloaded`;
    }
    if (period.perSecond < 0.9 * period.arrivalsPerSecond) {
      return `${period.perSecond.toFixed(0)} answers/s for ${period.arrivalsPerSecond.toFixed(0)} arrivals/s`;
    }
    return undefined;
  };
  for (let i = 1; i < loaded.length; i++) {
    const period = loaded[i]!;
    const reason = beyond(period);
    const next = loaded[i + 1];
    if (!reason || (next && !beyond(next))) continue;
    const before = loaded[i - 1]!;
    return {
      index: periods.indexOf(period),
      offered: period.arrivalsPerSecond,
      achieved: period.perSecond,
      lastGood: { offered: before.arrivalsPerSecond, achieved: before.perSecond, p95: before.latency!.p95 },
      reason,
    };
  }
  return undefined;
}
