// A transient fault (S3 unreachable) fails an attempt, BullMQ retries it with backoff, and the job
// completes once S3 is back; bad data, by contrast, is never retried (retrain-job.test.ts).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { configToEnv, createLogger, loadConfig } from '@visionops/core';
import {
  buildClassFolderZip,
  dropQueue,
  enqueueUpload,
  openQueue,
  type RetrainQueue,
  retrainTestEnv,
  seedProduction,
  seedTrainerDatasets,
  startSwitchableProxy,
  startTestStorage,
  type SwitchableProxy,
  type TestStorage,
  waitForJob,
} from '@visionops/testkit';
import { startTrainer, type Trainer } from '../src/trainer.js';

let storage: TestStorage;
let proxy: SwitchableProxy;
let trainer: Trainer;
let queue: RetrainQueue;

beforeAll(async () => {
  storage = await startTestStorage();
  await seedProduction(storage);
  await seedTrainerDatasets(storage);
  proxy = await startSwitchableProxy(storage.config.S3_ENDPOINT);
  // The trainer reaches S3 only through the proxy; the test itself talks to S3 directly.
  const config = loadConfig({
    ...configToEnv(storage.config),
    ...retrainTestEnv({ S3_ENDPOINT: proxy.url, RETRAIN_BACKOFF_MS: '1000' }),
  });
  queue = openQueue(config);
  trainer = await startTrainer(config, createLogger('trainer', { level: 'silent' }), {
    modelsChannel: storage.channel,
  });
});
afterAll(async () => {
  await trainer.stop({ force: true });
  await dropQueue(queue);
  await proxy.close();
  await storage.stop();
});

describe('transient faults', () => {
  test('when S3 is unreachable during the first attempt, then the job is retried with backoff and completes', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 2 });
    proxy.up = false;
    const job = await enqueueUpload(storage, queue, zip, { backoffMs: 1000 });
    // The first attempt fails and the job waits for its retry (delayed), not failed for good.
    const { job: waiting, state: waitingState } = await waitForJob(
      queue,
      job.id!,
      20_000,
      (current) => current.attemptsMade >= 1,
    );
    expect(waitingState).toBe('delayed');
    expect(waiting.failedReason).not.toMatch(/cancelled/);
    proxy.up = true;

    const { job: done, state } = await waitForJob(queue, job.id!, 60_000);
    expect(state, done.failedReason).toBe('completed');
    expect(done.stacktrace?.length ?? 0).toBeGreaterThanOrEqual(1);
    expect(done.returnvalue.version).toMatch(/^v\d+$/);
    expect((await storage.registry.getCard(done.returnvalue.version)).training).toMatchObject({
      jobId: job.id,
    });
  }, 90_000);
});
