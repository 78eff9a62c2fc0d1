// Drift between live predictions and a model version's reference (the same figures on its
// evaluation set), as the population stability index (PSI) of each signal:
//   PSI = sum over bins of (live_i - ref_i) * ln(live_i / ref_i)
// with bin shares floored at PSI_EPSILON so an empty bin stays finite. Continuous signals use the
// reference's deciles as bin edges; the predicted class uses its ten classes.
import { NUM_CLASSES } from '../labels.js';
import type { InputStatistics } from './input-statistics.js';

/** The figures drift is measured on; the input ones derive from the per-channel statistics. */
export const DRIFT_SIGNALS = ['class', 'confidence', 'brightness', 'contrast', 'colour'] as const;
export type DriftSignal = (typeof DRIFT_SIGNALS)[number];
export type ContinuousSignal = Exclude<DriftSignal, 'class'>;
const CONTINUOUS_SIGNALS: readonly ContinuousSignal[] = ['confidence', 'brightness', 'contrast', 'colour'];

/** The usual reading of PSI: below 0.1 stable, 0.1-0.25 a moderate shift, above 0.25 a real one. */
export const PSI_ALERT_THRESHOLD = 0.25;
export const PSI_WARN_THRESHOLD = 0.1;
/** Below this many live predictions the scores are mostly sampling noise and no alert is raised. */
export const DRIFT_MIN_PREDICTIONS = 50;
export const PSI_EPSILON = 1e-4;

/** What drift needs of one prediction: its class index, top-1 probability and input statistics. */
export interface MonitoredPrediction extends InputStatistics {
  classIndex: number;
  confidence: number;
}

export interface SignalBins {
  /** Inner bin edges in ascending order: bin i holds values in (edges[i-1], edges[i]]. */
  edges: number[];
  /** The reference's share of values in each bin (edges.length + 1 of them). */
  fractions: number[];
}

export interface DriftReference {
  version: string;
  createdAt: string;
  /** Where the reference images came from, e.g. "datasets/eval (2000 of 10000 images)". */
  source: string;
  n: number;
  /** Share of each predicted class, in LABELS order. */
  classFractions: number[];
  signals: Record<ContinuousSignal, SignalBins>;
}

export interface SignalScore {
  signal: DriftSignal;
  psi: number;
  threshold: number;
  fired: boolean;
}

export interface DriftResult {
  n: number;
  /** False when the window holds fewer than DRIFT_MIN_PREDICTIONS predictions: no alert then. */
  enough: boolean;
  alert: boolean;
  fired: DriftSignal[];
  signals: SignalScore[];
}

/** Brightness (mean of the channel means), contrast (mean of the channel stds), colour (spread of the channel means: 0 for grey). */
export function signalValue(prediction: MonitoredPrediction, signal: ContinuousSignal): number {
  const [r, g, b] = prediction.mean;
  switch (signal) {
    case 'confidence':
      return prediction.confidence;
    case 'brightness':
      return (r + g + b) / 3;
    case 'contrast':
      return (prediction.std[0] + prediction.std[1] + prediction.std[2]) / 3;
    case 'colour':
      return Math.max(r, g, b) - Math.min(r, g, b);
  }
}

export function binIndex(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (value <= edges[mid]!) high = mid;
    else low = mid + 1;
  }
  return low;
}

function shares(counts: readonly number[], n: number): number[] {
  return counts.map((count) => (n === 0 ? 0 : count / n));
}

export function psi(reference: readonly number[], live: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const expected = Math.max(reference[i]!, PSI_EPSILON);
    const actual = Math.max(live[i] ?? 0, PSI_EPSILON);
    sum += (actual - expected) * Math.log(actual / expected);
  }
  return sum;
}

function binCounts(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of values) counts[binIndex(edges, value)]!++;
  return counts;
}

export function classCounts(predictions: readonly MonitoredPrediction[]): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const prediction of predictions) counts[prediction.classIndex]!++;
  return counts;
}

function deciles(sorted: readonly number[]): number[] {
  const edges: number[] = [];
  for (let k = 1; k < 10; k++) {
    const edge = sorted[Math.min(sorted.length - 1, Math.floor((k / 10) * sorted.length))]!;
    // Equal deciles (a confident model puts most of its mass at 1) collapse into one edge.
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

export function buildDriftReference(
  predictions: readonly MonitoredPrediction[],
  about: { version: string; source: string },
): DriftReference {
  if (predictions.length === 0) throw new RangeError('a reference needs at least one prediction');
  const signals = Object.fromEntries(
    CONTINUOUS_SIGNALS.map((signal) => {
      const values = predictions.map((prediction) => signalValue(prediction, signal));
      const edges = deciles([...values].sort((a, b) => a - b));
      return [signal, { edges, fractions: shares(binCounts(edges, values), values.length) }];
    }),
  ) as Record<ContinuousSignal, SignalBins>;
  return {
    ...about,
    createdAt: new Date().toISOString(),
    n: predictions.length,
    classFractions: shares(classCounts(predictions), predictions.length),
    signals,
  };
}

/** Each signal's PSI between the live predictions and the reference, and whether any fired. */
export function measureDrift(reference: DriftReference, live: readonly MonitoredPrediction[]): DriftResult {
  const n = live.length;
  const enough = n >= DRIFT_MIN_PREDICTIONS;
  const score = (signal: DriftSignal, value: number): SignalScore => ({
    signal,
    psi: Math.round(value * 10_000) / 10_000,
    threshold: PSI_ALERT_THRESHOLD,
    fired: enough && value > PSI_ALERT_THRESHOLD,
  });
  const signals = [
    score('class', psi(reference.classFractions, shares(classCounts(live), n))),
    ...CONTINUOUS_SIGNALS.map((signal) => {
      const { edges, fractions } = reference.signals[signal];
      const values = live.map((prediction) => signalValue(prediction, signal));
      return score(signal, psi(fractions, shares(binCounts(edges, values), n)));
    }),
  ];
  const fired = signals.filter((each) => each.fired).map((each) => each.signal);
  return { n, enough, alert: fired.length > 0, fired, signals };
}
