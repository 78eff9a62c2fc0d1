// The one starter of a real stack for tests and load tests: Redis, the embedded S3, and gateway (and
// trainer) processes, as `npm start` runs them. The real baseline when present (else a width-4
// stand-in, seeded as v1), small replay and evaluation slices of the real data (synthetic without
// it), a fresh bucket and queue prefix, and a stop() that removes all of it again.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger, RedisKeys, repoRoot } from '@visionops/core';
import { freePort } from '@visionops/infra/free-port';
import { startStack, type Stack } from '@visionops/infra/start-stack';
import { writeStandInBaseline } from './registry-fixtures.js';
import { sliceZip } from './retrain-data.js';

export interface TestStackOptions {
  adminToken: string;
  /** The services to run (default both). */
  services?: ('gateway' | 'trainer')[];
  /**
   * A redis-server of the stack's own on a free port instead of the shared one, so a load test
   * stays off it and leaves nothing behind.
   */
  privateRedis?: boolean;
  /** Images per class in the replay slice (default 10) and how many of them to replay (default 100). */
  replayPerClass?: number;
  replaySampleSize?: number;
  /** Test images per class in the evaluation set (default 10). */
  evalPerClass?: number;
  /** Where the slices start in train.zip and test.zip (default 100 and 0). */
  replaySkip?: number;
  evalSkip?: number;
  /**
   * Keep the configured gate and replay mix. By default a retrain in the stack mixes one replay
   * image per upload image and always promotes (tolerance 1): tests about the path, while the gate
   * has its own tests.
   */
  configuredRetrain?: boolean;
  /** Further settings, e.g. LOG_LEVEL. */
  env?: NodeJS.ProcessEnv;
}

export interface TestStack {
  stack: Stack;
  gatewayUrl: string;
  /** The settings the services run with. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function baselineDir(workDir: string): Promise<string> {
  const shipped = join(repoRoot, 'models', 'baseline');
  return existsSync(join(shipped, 'card.json')) ? shipped : writeStandInBaseline(workDir);
}

export async function startTestStack(options: TestStackOptions): Promise<TestStack> {
  const { replayPerClass = 10, replaySampleSize = 100, evalPerClass = 10 } = options;
  const services = options.services ?? ['gateway', 'trainer'];
  const bucket = `e2e-${randomUUID().slice(0, 8)}`;
  const prefix = `test-${randomUUID()}`;
  const dir = mkdtempSync(join(tmpdir(), 'visionops-stack-'));
  // Nothing answers on a fresh free port, so startStack starts a redis-server there.
  const redisPort = options.privateRedis ? await freePort() : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(redisPort !== undefined && { REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
    S3_ENDPOINT: '',
    S3_BUCKET: bucket,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN: options.adminToken,
    BASELINE_MODEL_DIR: await baselineDir(dir),
    MODEL_POLL_INTERVAL_MS: '2000',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    ...(!options.configuredRetrain && { PROMOTION_TOLERANCE: '1', REPLAY_RATIO: '1' }),
  };
  if (services.includes('trainer')) {
    const replay = await sliceZip('train.zip', replayPerClass, { skip: options.replaySkip ?? 100 });
    const evaluation = await sliceZip('test.zip', evalPerClass, { skip: options.evalSkip ?? 0 });
    writeFileSync(join(dir, 'replay.zip'), replay.zip);
    writeFileSync(join(dir, 'eval.zip'), evaluation.zip);
    Object.assign(env, {
      REPLAY_DATA_PATH: join(dir, 'replay.zip'),
      EVAL_DATA_PATH: join(dir, 'eval.zip'),
      REPLAY_SAMPLE_SIZE: String(replaySampleSize),
    });
  }
  Object.assign(env, options.env);
  const stack = await startStack({
    env,
    dataDir: join(dir, 'data'),
    gatewayPort: 0,
    trainerHealthPort: 0,
    s3Port: 0,
    ...(redisPort !== undefined && { redisPort }),
    services,
    logger: createLogger('stack', { level: 'warn' }),
    healthTimeoutMs: 90_000,
  });
  return {
    stack,
    gatewayUrl: stack.gatewayUrl!,
    env,
    async stop() {
      await stack.stop();
      if (redisPort === undefined) {
        // The shared Redis keeps nothing of this stack.
        const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
        const keys = await redis.keys(`${prefix}:*`);
        await redis.del(RedisKeys.modelVersionCounter(bucket), ...keys);
        await redis.quit();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
