// What one `npm run loadtest` (or loadtest:smoke) measured: the machine, each scenario's figures
// and SLO checks, and the retrain-under-load timeline. Written as summary.json and rendered.
import type { RetrainRun } from './retrain-during-load.js';
import type { RolloutRun } from './rollout-during-load.js';
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
  rollout?: RolloutRun;
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

/** The retrain run (see retrain-during-load.ts) with the predict load's figures around it. */
export interface RetrainOutcome extends RetrainRun {
  images: number;
  epochs: number;
  before: PhaseFigures;
  training: PhaseFigures;
  swap: PhaseFigures;
}

export interface RunResult {
  mode: 'full' | 'smoke' | 'canary';
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
