// The trainer process's resources: Redis, S3, the retrain worker and the health endpoint, started
// and stopped together so tests can run a trainer in-process.
import { Redis } from 'ioredis';
import type { Config, Logger } from '@visionops/core';
import { createS3Client, ModelRegistry, ObjectStore } from '@visionops/core/registry';
import { startHealthServer } from './health-server.js';
import { seedDatasets } from './retrain/dataset-seeding.js';
import { startRetrainWorker, type RetrainWorker } from './retrain/retrain-worker.js';
import { startHeartbeat, type Heartbeat } from '@visionops/core/jobs';

export interface Trainer {
  healthUrl: string;
  /** Settles after the first attempt to store the replay and evaluation sets in S3. */
  datasetsReady: Promise<void>;
  /**
   * Hands the job in hand back to the queue (another trainer starts it at once, its attempt not
   * counted), deletes the heartbeat and closes. `force`: do not wait for the job in hand (it is
   * retried elsewhere after its lock expires).
   */
  stop(options?: { force?: boolean }): Promise<void>;
}

export interface TrainerOptions {
  /** Announce promotions here instead of CHANNEL_MODELS (tests). */
  modelsChannel?: string;
  /** Start the retrain worker (default true); false serves only /health. */
  worker?: boolean;
}

const SEED_RETRY_MS = 30_000;

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // maxRetriesPerRequest null: the setting BullMQ workers require, so this connection can serve one.
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  let lastRedisError: string | undefined;
  redis.on('error', (error: Error) => {
    if (error.message !== lastRedisError) logger.warn({ err: error }, 'Redis connection problem');
    lastRedisError = error.message;
  });
  redis.on('ready', () => {
    lastRedisError = undefined;
    logger.info({ redis: url }, 'connected to Redis');
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // ioredis only says "Connection is closed"; the reason came with the error event before it.
    throw new Error(`Redis at ${url} does not answer: ${lastRedisError ?? String(error)}`, { cause: error });
  }
  return redis;
}

export async function startTrainer(
  config: Config,
  logger: Logger,
  options: TrainerOptions = {},
): Promise<Trainer> {
  const redis = await connectRedis(config.REDIS_URL, logger);
  let health;
  try {
    health = await startHealthServer(config.HOST, config.TRAINER_HEALTH_PORT, () => ({
      redis: redis.status,
    }));
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  logger.info({ url: health.url }, 'trainer health endpoint listening');

  const store = new ObjectStore(createS3Client(config), config.S3_BUCKET);
  const registry = new ModelRegistry({
    store,
    redis,
    logger,
    ...(options.modelsChannel ? { channel: options.modelsChannel } : {}),
  });

  // Seeding decodes thousands of images on a fresh bucket, so it runs in the background while the
  // worker starts; a job waits for its first attempt before it looks for replay and evaluation
  // sets. When S3 is away seeding tries again later (jobs retry their own S3 faults).
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const seed = async (): Promise<void> => {
    try {
      const report = await seedDatasets(config, store, logger);
      logger.info(report, 'trainer datasets ready');
    } catch (error) {
      logger.error(
        { err: error },
        `seeding the trainer datasets failed; trying again in ${SEED_RETRY_MS / 1000} s`,
      );
      if (!stopped) retry = setTimeout(() => void seed(), SEED_RETRY_MS).unref();
    }
  };
  const datasetsReady = options.worker === false ? Promise.resolve() : seed();
  let worker: RetrainWorker | undefined;
  if (options.worker !== false) {
    try {
      worker = await startRetrainWorker({ config, registry, store, redis, logger, datasetsReady });
    } catch (error) {
      await health.close();
      redis.disconnect();
      throw error;
    }
  }
  // Only a trainer that takes jobs announces itself.
  let heartbeat: Heartbeat | undefined;
  if (worker) {
    const beat = startHeartbeat(redis, config.QUEUE_PREFIX, logger);
    worker.worker.on('active', (job) => beat.setJob(job.id ?? null));
    worker.worker.on('completed', () => beat.setJob(null));
    worker.worker.on('failed', () => beat.setJob(null));
    heartbeat = beat;
  }

  return {
    healthUrl: health.url,
    datasetsReady,
    async stop({ force = false } = {}) {
      stopped = true;
      clearTimeout(retry);
      await worker?.close(force);
      await heartbeat?.stop();
      await health.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
