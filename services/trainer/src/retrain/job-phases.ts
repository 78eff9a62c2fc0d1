// The runner every trainer job goes through: a per-job context (cancellation, progress, a work
// folder, the lock check before publishing) and one call per phase. Each phase is a function of
// the handler; the runner stops between phases once the run should stop, reports each phase as it
// starts, and turns whatever ended the run into the error BullMQ acts on (see jobRunFailure).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@visionops/core';
import { JobCancellation } from '@visionops/core/jobs';
import { jobRunFailure, startJobRun } from './job-run.js';

/**
 * Renews this worker's lock on the job; false when the lock is no longer its own (it lapsed, and
 * the job may be running elsewhere). Absent outside a worker (tests that call the handler).
 */
export type RenewJobLock = () => Promise<boolean>;

export interface JobPhaseOptions<Phase extends string> {
  job: Pick<Job, 'id'>;
  /** BullMQ's signal for this job: a cancel or a release (the trainer stops). */
  jobSignal: AbortSignal;
  /** 'retrain' or 'import', for logs and errors. */
  what: string;
  log: Logger;
  redis: Redis;
  queuePrefix: string;
  s3Endpoint: string;
  renewLock?: RenewJobLock;
  /** Reports that `phase` starts (job progress). */
  reportPhase: (phase: Phase) => Promise<void>;
  /** Errors that mean the input itself is unusable: the job ends for good. */
  isBadData: (error: unknown) => error is Error;
  /** Clean-up that depends on how the run failed (before the error goes to BullMQ). */
  onFailure?: (error: unknown) => Promise<void>;
}

export interface JobPhases<Phase extends string> {
  /** Aborted on a cancel, a release or a lost lock. */
  signal: AbortSignal;
  /** A folder of this run's own, removed when the run ends. */
  workDir: string;
  /** Stops here when the run should stop, reports `name`, then runs it. */
  phase<T>(name: Phase, work: () => Promise<T> | T): Promise<T>;
  /**
   * A lost lock is reported only at the next renewal tick, seconds later: asked right before
   * publishing, so a run whose job went to another trainer meanwhile publishes nothing.
   */
  ensureLockHeld(): Promise<void>;
}

export async function runJobPhases<Phase extends string, Result>(
  options: JobPhaseOptions<Phase>,
  body: (run: JobPhases<Phase>) => Promise<Result>,
): Promise<Result> {
  const { job, log, what } = options;
  const cancellation = new JobCancellation(options.redis, options.queuePrefix);
  const run = startJobRun(options.jobSignal, () => cancellation.isRequested(job.id!));
  const workDir = await mkdtemp(join(tmpdir(), `visionops-${what}-`));
  const phases: JobPhases<Phase> = {
    signal: run.signal,
    workDir,
    async phase(name, work) {
      await run.checkpoint();
      await options.reportPhase(name);
      return work();
    },
    async ensureLockHeld() {
      if (options.renewLock && !(await options.renewLock())) {
        log.warn(`${what} run stopped: its lock lapsed before publishing and the job runs again`);
        throw new Error('the job lock lapsed before publishing; this run stopped and the job runs again');
      }
    },
  };
  try {
    return await body(phases);
  } catch (error) {
    await options.onFailure?.(error);
    throw jobRunFailure(error, run, {
      log,
      what,
      isBadData: options.isBadData,
      s3Endpoint: options.s3Endpoint,
    });
  } finally {
    run.end();
    await rm(workDir, { recursive: true, force: true });
  }
}
