// What every job run of the trainer shares, whatever the job: the cancellation signal (BullMQ's
// own, or a cancel key found at a phase boundary) and how an ended run's error is reported.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '@visionops/core';
import { CANCELLED_REASON } from '@visionops/core/jobs';
import { isLockLost, isRelease, JobReleasedError } from './job-release.js';
import { asS3Unreachable } from './s3-unreachable.js';

export interface JobRun {
  /** Aborted on a cancel, a release (the trainer stops) or a lost lock; its reason says which. */
  signal: AbortSignal;
  /** Throws the abort reason once the run should stop; a phase boundary calls it. */
  checkpoint(): Promise<void>;
  /** Unhooks the run from the job's signal. */
  end(): void;
}

/**
 * BullMQ aborts jobSignal when this worker is told to cancel the job, or to release it because the
 * trainer is stopping (its reason says which); a cancel key found at a phase boundary (a message
 * missed while reconnecting) aborts the same way.
 */
export function startJobRun(jobSignal: AbortSignal, cancelRequested: () => Promise<boolean>): JobRun {
  const controller = new AbortController();
  const onJobAbort = () => controller.abort(jobSignal.reason);
  jobSignal.addEventListener('abort', onJobAbort, { once: true });
  const signal = controller.signal;
  return {
    signal,
    async checkpoint() {
      if (!signal.aborted && (await cancelRequested())) controller.abort(new Error('cancel requested'));
      signal.throwIfAborted();
    },
    end: () => jobSignal.removeEventListener('abort', onJobAbort),
  };
}

/**
 * The error a run that ended in `error` throws to BullMQ: a release hands the job back, a lost lock
 * lets the rerun elsewhere answer, a cancel or bad data ends the job for good (UnrecoverableError),
 * anything else is retried with backoff.
 */
export function jobRunFailure(
  error: unknown,
  run: Pick<JobRun, 'signal'>,
  options: { log: Logger; what: string; isBadData: (error: unknown) => error is Error; s3Endpoint: string },
): Error {
  const { signal } = run;
  const { log, what } = options;
  if (signal.aborted && isRelease(signal.reason)) {
    log.info(`${what} job released: this trainer is stopping`);
    return new JobReleasedError('the trainer stopped; the job goes back to the queue', { cause: error });
  }
  if (signal.aborted && isLockLost(signal.reason)) {
    // BullMQ refuses this run's outcome (its lock is gone); the rerun elsewhere gives the result.
    log.warn(`${what} run stopped: its lock lapsed and the job runs again; nothing was published`);
    return new Error('the job lock lapsed; this run stopped and the job runs again', { cause: error });
  }
  if (signal.aborted) {
    log.info(`${what} job cancelled`);
    return new UnrecoverableError(
      `${CANCELLED_REASON}: the job was cancelled on request; nothing was published`,
    );
  }
  if (options.isBadData(error)) {
    log.info({ reason: error.message }, `${what} input refused`);
    return new UnrecoverableError(error.message);
  }
  // Retried with backoff: S3 may be back for the next attempt.
  return (
    asS3Unreachable(error, options.s3Endpoint) ?? (error instanceof Error ? error : new Error(String(error)))
  );
}

/** Waits for `promise` (its outcome ignored); throws the abort reason as soon as `signal` aborts. */
export async function untilSettledOrAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([
      promise.then(
        () => undefined,
        () => undefined,
      ),
      aborted,
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * What every handler starts with: the payload checked against its schema (a bad one ends the job
 * for good), a logger naming the job and attempt, and the seconds since the handler started.
 */
export function beginJob<Data>(
  job: Pick<Job, 'id' | 'attemptsMade' | 'data'>,
  schema: {
    safeParse(value: unknown): { success: true; data: Data } | { success: false; error: { message: string } };
  },
  what: string,
  logger: Logger,
): { data: Data; log: Logger; seconds: () => number } {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid ${what} job payload: ${parsed.error.message}`);
  const started = performance.now();
  return {
    data: parsed.data,
    log: logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 }),
    seconds: () => (performance.now() - started) / 1000,
  };
}
