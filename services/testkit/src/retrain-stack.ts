// The real stack (gateway and trainer processes, Redis, the embedded S3) set up for retrain tests:
// the real baseline when present (else a width-4 stand-in, seeded as v1), small replay and
// evaluation slices, and a fresh bucket and queue prefix that stop() removes again.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger, RedisKeys, repoRoot } from '@visionops/core';
import { writeStandInBaseline } from './registry-fixtures.js';
import { startStack, type Stack } from '@visionops/infra/start-stack';
import { sliceZip } from './retrain-data.js';

export interface RetrainStackOptions {
  adminToken: string;
  /** Images per class in the replay slice (default 10) and how many of them to replay (default 100). */
  replayPerClass?: number;
  replaySampleSize?: number;
  /** Test images per class in the evaluation set (default 10). */
  evalPerClass?: number;
  /** Further settings, e.g. LOG_LEVEL. */
  env?: NodeJS.ProcessEnv;
}

export interface RetrainStack {
  stack: Stack;
  gatewayUrl: string;
  stop(): Promise<void>;
}

export async function startRetrainStack(options: RetrainStackOptions): Promise<RetrainStack> {
  const { adminToken, replayPerClass = 10, replaySampleSize = 100, evalPerClass = 10 } = options;
  const bucket = `e2e-${randomUUID().slice(0, 8)}`;
  const prefix = `test-${randomUUID()}`;
  const dir = mkdtempSync(join(tmpdir(), 'visionops-e2e-'));
  const realBaseline = join(repoRoot, 'models', 'baseline');
  const baselineDir = existsSync(join(realBaseline, 'card.json'))
    ? realBaseline
    : await writeStandInBaseline(dir);
  writeFileSync(join(dir, 'replay.zip'), (await sliceZip('train.zip', replayPerClass, { skip: 100 })).zip);
  writeFileSync(join(dir, 'eval.zip'), (await sliceZip('test.zip', evalPerClass)).zip);
  const stack = await startStack({
    env: {
      ...process.env,
      S3_ENDPOINT: '',
      S3_BUCKET: bucket,
      QUEUE_PREFIX: prefix,
      ADMIN_TOKEN: adminToken,
      BASELINE_MODEL_DIR: baselineDir,
      REPLAY_DATA_PATH: join(dir, 'replay.zip'),
      EVAL_DATA_PATH: join(dir, 'eval.zip'),
      REPLAY_SAMPLE_SIZE: String(replaySampleSize),
      REPLAY_RATIO: '1',
      // Always promote: these tests are about the path, the gate has its own tests.
      PROMOTION_TOLERANCE: '1',
      MODEL_POLL_INTERVAL_MS: '2000',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      ...options.env,
    },
    dataDir: join(dir, 'data'),
    gatewayPort: 0,
    trainerHealthPort: 0,
    s3Port: 0,
    logger: createLogger('stack', { level: 'warn' }),
    healthTimeoutMs: 90_000,
  });
  return {
    stack,
    gatewayUrl: stack.gatewayUrl!,
    async stop() {
      await stack.stop();
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}:*`);
      await redis.del(RedisKeys.modelVersionCounter(bucket), ...keys);
      await redis.quit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
