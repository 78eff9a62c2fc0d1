// The trainer process's resources against the real Redis at REDIS_URL (127.0.0.1:6379 by default);
// the retrain worker is left out here (test/retrain-job.test.ts runs it against S3).
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger, loadConfig } from '@visionops/core';
import { startTrainer, type Trainer } from '../src/trainer.js';

const logger = createLogger('test', { level: 'silent' });
const healthOnly = { worker: false };
let trainer: Trainer | undefined;

afterEach(async () => {
  await trainer?.stop();
  trainer = undefined;
});

describe('trainer', () => {
  test('when started, then GET /health answers 200 with the Redis connection ready', async () => {
    trainer = await startTrainer(
      loadConfig({ ...process.env, TRAINER_HEALTH_PORT: '0' }),
      logger,
      healthOnly,
    );
    const response = await fetch(trainer.healthUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', redis: 'ready' });
  });

  test('when another path is asked for, then 404 with a JSON error', async () => {
    trainer = await startTrainer(
      loadConfig({ ...process.env, TRAINER_HEALTH_PORT: '0' }),
      logger,
      healthOnly,
    );
    const response = await fetch(trainer.healthUrl.replace('/health', '/jobs'));
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  test('when stopped, then the health endpoint no longer answers', async () => {
    const started = await startTrainer(
      loadConfig({ ...process.env, TRAINER_HEALTH_PORT: '0' }),
      logger,
      healthOnly,
    );
    await started.stop();
    await expect(fetch(started.healthUrl)).rejects.toThrow();
  });

  test('when Redis does not answer, then the start fails instead of pretending to be up', async () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', TRAINER_HEALTH_PORT: '0' });
    await expect(startTrainer(config, logger, healthOnly)).rejects.toThrow(
      /redis:\/\/127.0.0.1:1 does not answer: .*ECONNREFUSED/,
    );
  });
});
