// The BullMQ worker of the retrain queue: one job at a time per process, a handler per job name,
// and cancel requests from the gateway turned into BullMQ's own job cancellation.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobName, QUEUE_RETRAIN, type Config } from '@visionops/core';
import { RetrainRedisKeys, type JobOf, type RetrainResult } from '@visionops/core/jobs';
import { handleRetrain, type RetrainConfig, type RetrainDeps } from './retrain-job.js';

export type WorkerConfig = RetrainConfig &
  Pick<Config, 'REDIS_URL' | 'RETRAIN_LOCK_MS' | 'RETRAIN_STALLED_INTERVAL_MS'>;

type Handler<Name extends JobName> = (
  job: Job<JobOf<Name>, RetrainResult>,
  signal: AbortSignal,
  deps: RetrainDeps,
) => Promise<RetrainResult>;

/** One handler per job name; the mapped type makes a missing one a compile error. */
const handlers: { [Name in JobName]: Handler<Name> } = {
  [JobName.Retrain]: handleRetrain,
};

function isJobName(name: string): name is JobName {
  return Object.hasOwn(handlers, name);
}

/** The job id in a cancel message, or undefined for a malformed one (never throws). */
function cancelledJobId(message: string): string | undefined {
  try {
    const jobId = (JSON.parse(message) as { jobId?: unknown }).jobId;
    return typeof jobId === 'string' ? jobId : undefined;
  } catch {
    return undefined;
  }
}

export interface RetrainWorker {
  worker: Worker<JobOf<JobName>, RetrainResult>;
  /** Waits for the job in hand unless `force`: then it is left to stalled-job recovery. */
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
  const worker = new Worker<JobOf<JobName>, RetrainResult>(
    QUEUE_RETRAIN,
    async (job, _token, signal) => {
      if (!isJobName(job.name)) throw new UnrecoverableError(`no handler for job name "${job.name}"`);
      // A processor is always given a signal by BullMQ 5.81; the fallback keeps the type honest.
      return handlers[job.name](job, signal ?? new AbortController().signal, deps);
    },
    {
      // Connection settings rather than our client: BullMQ opens (and closes) the ones it needs.
      connection: { url: config.REDIS_URL, maxRetriesPerRequest: null },
      prefix: config.QUEUE_PREFIX,
      concurrency: 1,
      lockDuration: config.RETRAIN_LOCK_MS,
      stalledInterval: config.RETRAIN_STALLED_INTERVAL_MS,
      maxStalledCount: 1,
    },
  );
  worker.on('failed', (job, error) =>
    logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: error }, 'retrain job failed'),
  );
  worker.on('completed', (job) =>
    logger.info({ jobId: job.id, result: job.returnvalue }, 'retrain job completed'),
  );
  worker.on('stalled', (jobId) => logger.warn({ jobId }, 'retrain job stalled; it will run again'));
  worker.on('error', (error) => logger.error({ err: error }, 'retrain worker error'));

  const subscriber: Redis = deps.redis.duplicate();
  const channel = RetrainRedisKeys.cancelChannel(config.QUEUE_PREFIX);
  subscriber.on('message', (_channel: string, message: string) => {
    const jobId = cancelledJobId(message);
    if (jobId !== undefined && worker.cancelJob(jobId, 'cancel requested')) {
      logger.info({ jobId }, 'cancelling retrain job on request');
    }
  });
  subscriber.on('error', (error: Error) => logger.warn({ err: error }, 'cancel channel connection problem'));
  await subscriber.subscribe(channel);
  await worker.waitUntilReady();
  logger.info({ queue: QUEUE_RETRAIN, prefix: config.QUEUE_PREFIX }, 'retrain worker started');

  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
