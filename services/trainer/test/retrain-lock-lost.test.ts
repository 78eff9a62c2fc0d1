// A trainer that loses its job's lock (it, or Redis, stalled for longer than RETRAIN_LOCK_MS)
// while another trainer is idle: the job runs again on the other one, and the first run must stop
// rather than publish a second version of the same job.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { QueueEvents } from 'bullmq';
import { createLogger, loadConfig, type Config } from '@visionops/core';
import type { RetrainProgress } from '@visionops/core/jobs';
import { buildClassFolderZip } from '../../core/test/fixtures.js';
import { startTestStorage, type TestStorage } from '../../core/test/registry-fixtures.js';
import { startTrainer, type Trainer } from '../src/trainer.js';
import {
  dropQueue,
  enqueueUpload,
  openQueue,
  retrainTestEnv,
  seedProduction,
  seedTrainerDatasets,
  waitForJob,
  type RetrainQueue,
} from './retrain-fixtures.js';

const logger = createLogger('test', { level: 'silent' });
const LOCKS = { RETRAIN_LOCK_MS: '3000', RETRAIN_STALLED_INTERVAL_MS: '1000' };
let storage: TestStorage;
let config: Config;
let queue: RetrainQueue;
let events: QueueEvents;
const trainers: Trainer[] = [];

beforeAll(async () => {
  storage = await startTestStorage();
  await seedProduction(storage);
  await seedTrainerDatasets(storage);
  config = loadConfig({
    REDIS_URL: storage.config.REDIS_URL,
    S3_ENDPOINT: storage.config.S3_ENDPOINT,
    S3_BUCKET: storage.config.S3_BUCKET,
    LOG_LEVEL: 'silent',
    ...retrainTestEnv(LOCKS),
  });
  queue = openQueue(config);
  events = new QueueEvents(queue.name, {
    connection: { url: config.REDIS_URL },
    prefix: config.QUEUE_PREFIX,
  });
  await events.waitUntilReady();
});
afterAll(async () => {
  await storage.stop();
});
afterEach(async () => {
  await Promise.all(trainers.map((trainer) => trainer.stop({ force: true })));
  await events.close();
  await dropQueue(queue);
});

describe('a lost job lock', () => {
  test('when a running job loses its lock and another trainer reruns it, then the first run stops and one version is published', async () => {
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    for (let i = 0; i < 2; i++) {
      trainers.push(await startTrainer(config, logger, { modelsChannel: storage.channel }));
    }
    const versionsBefore = (await storage.registry.list()).versions.length;
    const { zip } = await buildClassFolderZip({ perClass: 6 });
    const job = await enqueueUpload(storage, queue, zip, { epochs: 15 });
    await waitForJob(queue, job.id!, 60_000, (current) => {
      const progress = current.progress as RetrainProgress | number;
      return typeof progress === 'object' && progress.phase === 'training' && (progress.epoch ?? 0) >= 2;
    });

    // What a stall longer than the lock leaves behind: the lock key gone while the run goes on.
    await storage.redis.del(`${config.QUEUE_PREFIX}:${queue.name}:${job.id!}:lock`);

    const { job: done, state } = await waitForJob(queue, job.id!, 150_000);
    expect(state, done.failedReason).toBe('completed');
    expect(stalled).toContain(job.id);
    // Give a first run that did not stop the time to reach publishing: it would add a version.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const versions = (await storage.registry.list()).versions;
    expect(versions.filter((card) => card.training.jobId === job.id)).toHaveLength(1);
    expect(versions).toHaveLength(versionsBefore + 1);
  }, 200_000);
});
