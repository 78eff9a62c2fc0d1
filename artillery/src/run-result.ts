// What one `npm run loadtest` (or loadtest:smoke) measured: the machine, each scenario's figures
// and SLO checks, and the retrain-under-load timeline. Written as summary.json and rendered.
import type { Knee, ReportFigures } from './artillery-report.js';
import type { SloCheck } from './slo.js';

export interface ScenarioResult {
  name: string;
  description: string;
  /** artillery's raw JSON, relative to the report directory. */
  rawFile: string;
  figures: ReportFigures;
  checks: SloCheck[];
  /** artillery's own exit code (1 when its ensure plugin saw a breach). */
  artilleryExitCode: number;
  knee?: Knee;
  retrain?: RetrainOutcome;
}

/** Worst figures over the artillery periods that overlap a phase of the retrain timeline. */
export interface PhaseFigures {
  periods: number;
  responses: number;
  failed: number;
  /** The highest p50/p95/p99 of those periods (percentiles of periods cannot be merged exactly). */
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

export interface RetrainOutcome {
  jobId: string;
  images: number;
  epochs: number;
  /** Epoch ms: job submitted, job completed, the gateway first answered with the new version. */
  submittedAt: number;
  completedAt: number | undefined;
  swappedAt: number | undefined;
  fromVersion: string;
  toVersion: string | undefined;
  /** True when the evaluation gate promoted the version; false when the driver had to promote it. */
  promotedByGate: boolean | undefined;
  gateReason: string | undefined;
  accuracy: number | undefined;
  productionAccuracy: number | undefined;
  before: PhaseFigures;
  training: PhaseFigures;
  swap: PhaseFigures;
  /** Problems that made the retrain part fail (job failed, no swap seen, ...). */
  problems: string[];
}

export interface RunResult {
  mode: 'full' | 'smoke';
  startedAt: string;
  finishedAt: string;
  target: string;
  /** True when the driver started the stack itself (no TARGET). */
  localStack: boolean;
  images: string;
  machine: {
    cpus: number;
    loadBefore: number[];
    loadAfter: number[];
    /** Per-thread CPU placement sampled under load (`ps -L`), when the stack was local. */
    threads: string | undefined;
  };
  scenarios: ScenarioResult[];
}
