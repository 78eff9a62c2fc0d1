// The trainer process's resources: its Redis connection and its health endpoint, started and
// stopped together so tests can run a trainer in-process.
import { Redis } from 'ioredis';
import type { Config, Logger } from '@visionops/core';
import { startHealthServer } from './health-server.js';

export interface Trainer {
  healthUrl: string;
  stop(): Promise<void>;
}

export async function startTrainer(
  config: Pick<Config, 'HOST' | 'TRAINER_HEALTH_PORT' | 'REDIS_URL'>,
  logger: Logger,
): Promise<Trainer> {
  // maxRetriesPerRequest null: the setting BullMQ workers require, so this connection can serve one.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  let lastRedisError: string | undefined;
  redis.on('error', (error: Error) => {
    if (error.message !== lastRedisError) logger.warn({ err: error }, 'Redis connection problem');
    lastRedisError = error.message;
  });
  redis.on('ready', () => {
    lastRedisError = undefined;
    logger.info({ redis: config.REDIS_URL }, 'connected to Redis');
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // ioredis only says "Connection is closed"; the reason came with the error event before it.
    throw new Error(`Redis at ${config.REDIS_URL} does not answer: ${lastRedisError ?? String(error)}`, {
      cause: error,
    });
  }

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

  return {
    healthUrl: health.url,
    async stop() {
      await health.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
