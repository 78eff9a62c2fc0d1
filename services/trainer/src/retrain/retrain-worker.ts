// The BullMQ worker of the retrain queue: one job at a time per process, a handler per job name,
// cancel requests from the gateway turned into BullMQ's own job cancellation, and the job in hand
// handed back to the queue when the trainer stops.
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobName, QUEUE_RETRAIN, type Config } from '@visionops/core';
import {
  CancellationKeys,
  cancelledJobId,
  type JobOf,
  type JobResult,
  type JobResultOf,
  trainerId,
} from '@visionops/core/jobs';
import { handleImport } from '../import/import-job.js';
import { JobReleasedError, LOCK_LOST_REASON, RELEASE_REASON } from './job-release.js';
import type { RenewJobLock } from './job-phases.js';
import { handleRetrain, type RetrainConfig, type RetrainDeps } from './retrain-job.js';

export type WorkerConfig = RetrainConfig &
  Pick<Config, 'REDIS_URL' | 'RETRAIN_LOCK_MS' | 'RETRAIN_STALLED_INTERVAL_MS'>;

type Handler<Name extends JobName> = (
  job: Job<JobOf<Name>, JobResultOf<Name>>,
  signal: AbortSignal,
  deps: RetrainDeps,
  renewLock: RenewJobLock,
) => Promise<JobResultOf<Name>>;

/** One handler per job name; the mapped type makes a missing one a compile error. */
const handlers: { [Name in JobName]: Handler<Name> } = {
  [JobName.Retrain]: handleRetrain,
  [JobName.Import]: handleImport,
};

/** Runs a job by its handler; the cast states what the job name guarantees about its data. */
function runHandler<Name extends JobName>(
  name: Name,
  job: Job<JobOf<JobName>, JobResult>,
  signal: AbortSignal,
  deps: RetrainDeps,
  renewLock: RenewJobLock,
): Promise<JobResult> {
  return handlers[name](job as unknown as Job<JobOf<Name>, JobResultOf<Name>>, signal, deps, renewLock);
}

function isJobName(name: string): name is JobName {
  return Object.hasOwn(handlers, name);
}

export interface RetrainWorker {
  worker: Worker<JobOf<JobName>, JobResult>;
  /**
   * Hands the job in hand back to the queue (its training stops within a batch) and closes; with
   * `force` it does not wait at all and the job is left to stalled-job recovery.
   */
  close(force?: boolean): Promise<void>;
}

/**
 * Starts the worker on `redis` (a connection with maxRetriesPerRequest null) and listens for
 * cancel requests on a duplicate of it (a subscribed connection can do nothing else).
 */
export async function startRetrainWorker(
  deps: Omit<RetrainDeps, 'config'> & { config: WorkerConfig },
): Promise<RetrainWorker> {
  const { config, logger } = deps;
  const worker = new Worker<JobOf<JobName>, JobResult>(
    QUEUE_RETRAIN,
    async (job, token, signal) => {
      if (!isJobName(job.name)) throw new UnrecoverableError(`no handler for job name "${job.name}"`);
      try {
        // A processor is always given a signal by BullMQ 5.81; the fallback keeps the type honest.
        const renewLock = async () =>
          token !== undefined && (await job.extendLock(token, config.RETRAIN_LOCK_MS)) === 1;
        return await runHandler(job.name, job, signal ?? new AbortController().signal, deps, renewLock);
      } catch (error) {
        if (!(error instanceof JobReleasedError) || token === undefined) throw error;
        // Back to the head of the wait list with its lock released and its attempts unchanged;
        // WaitingError tells BullMQ the job has moved on, so it is neither failed nor retried here.
        await job.moveToWait(token);
        logger.info({ jobId: job.id, job: job.name }, 'job handed back to the queue');
        throw new WaitingError();
      }
    },
    {
      // Connection settings rather than our client: BullMQ opens (and closes) the ones it needs.
      connection: { url: config.REDIS_URL, maxRetriesPerRequest: null },
      prefix: config.QUEUE_PREFIX,
      // BullMQ stores the worker name on each job it takes (processedBy): which trainer ran a job.
      name: trainerId(),
      concurrency: 1,
      lockDuration: config.RETRAIN_LOCK_MS,
      stalledInterval: config.RETRAIN_STALLED_INTERVAL_MS,
      maxStalledCount: 1,
    },
  );
  worker.on('failed', (job, error) =>
    logger.warn({ jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, err: error }, 'job failed'),
  );
  worker.on('completed', (job) =>
    logger.info({ jobId: job.id, job: job.name, result: job.returnvalue }, 'job completed'),
  );
  worker.on('stalled', (jobId) => logger.warn({ jobId }, 'job stalled; it will run again'));
  // A lock that could not be renewed has lapsed (this process or Redis stalled for longer than
  // RETRAIN_LOCK_MS): the job runs again from the queue, so this run stops before it publishes a
  // second version. Its end is then refused by BullMQ (lock mismatch), leaving the job to the rerun.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) {
      if (worker.cancelJob(jobId, LOCK_LOST_REASON)) {
        logger.warn({ jobId }, 'lost the lock on a retrain job; stopping this run, the job runs again');
      }
    }
  });
  // While Redis is away every reconnect attempt reports the same error: one line per outage (the
  // cancel channel's 'ready' below says when it is over) or per minute, not several a second.
  const reported = new Map<string, number>();
  const reportOnce = (what: string, error: Error, level: 'warn' | 'error') => {
    const key = `${what}: ${error.message}`;
    if (Date.now() - (reported.get(key) ?? 0) < 60_000) return;
    reported.set(key, Date.now());
    logger[level]({ err: error }, what);
  };
  worker.on('error', (error) => reportOnce('retrain worker error', error, 'error'));

  const subscriber: Redis = deps.redis.duplicate();
  const channel = CancellationKeys.channel(config.QUEUE_PREFIX);
  subscriber.on('message', (_channel: string, message: string) => {
    const jobId = cancelledJobId(message);
    if (jobId !== undefined && worker.cancelJob(jobId, 'cancel requested')) {
      logger.info({ jobId }, 'cancelling job on request');
    }
  });
  subscriber.on('error', (error: Error) => reportOnce('cancel channel connection problem', error, 'warn'));
  subscriber.on('ready', () => reported.clear());
  await subscriber.subscribe(channel);
  await worker.waitUntilReady();
  logger.info({ queue: QUEUE_RETRAIN, prefix: config.QUEUE_PREFIX }, 'retrain worker started');

  return {
    worker,
    async close(force = false) {
      if (!force) worker.cancelAllJobs(RELEASE_REASON);
      await worker.close(force);
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
