// Locks and stalled jobs: a job that runs for several lock periods keeps its lock (training runs in
// threads, so the main thread renews it), and a trainer process killed with SIGKILL mid-job leaves
// the job to another trainer, which completes it.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { QueueEvents } from 'bullmq';
import { type Config, configToEnv, createLogger, loadConfig } from '@visionops/core';
import type { RetrainProgress } from '@visionops/core/jobs';
import {
  buildClassFolderZip,
  dropQueue,
  enqueueUpload,
  LONG_TRAINING,
  openQueue,
  type RetrainQueue,
  retrainTestEnv,
  seedProduction,
  seedTrainerDatasets,
  startTestStorage,
  type TestStorage,
  waitForJob,
} from '@visionops/testkit';
import { freePort } from '@visionops/infra/free-port';
import { spawnService, type ServiceProcess } from '@visionops/infra/service-process';
import { startTrainer, type Trainer } from '../src/trainer.js';

const logger = createLogger('test', { level: 'silent' });
// Short locks so that a missed renewal, or a dead trainer, shows within seconds.
const LOCKS = { RETRAIN_LOCK_MS: '2000', RETRAIN_STALLED_INTERVAL_MS: '1000' };
let storage: TestStorage;
let config: Config;
let queue: RetrainQueue;
let events: QueueEvents;
let stalled: string[];
let trainer: Trainer | undefined;
let child: ServiceProcess | undefined;

beforeAll(async () => {
  storage = await startTestStorage();
  await seedProduction(storage);
  await seedTrainerDatasets(storage);
});
afterAll(async () => {
  await storage.stop();
});
afterEach(async () => {
  await child?.stop(2000);
  child = undefined;
  await trainer?.stop({ force: true });
  trainer = undefined;
  await events.close();
  await dropQueue(queue);
});

async function setUp(): Promise<void> {
  config = loadConfig({ ...configToEnv(storage.config), ...retrainTestEnv(LOCKS) });
  queue = openQueue(config);
  events = new QueueEvents(queue.name, {
    connection: { url: config.REDIS_URL },
    prefix: config.QUEUE_PREFIX,
  });
  stalled = [];
  events.on('stalled', ({ jobId }) => stalled.push(jobId));
  await events.waitUntilReady();
}

function isTraining(epoch: number) {
  return (job: { progress: unknown }) => {
    const progress = job.progress as RetrainProgress | number;
    return typeof progress === 'object' && progress.phase === 'training' && (progress.epoch ?? 0) >= epoch;
  };
}

describe('job locks', () => {
  test('when a job runs for several lock periods, then its lock is renewed: no stall, one attempt', async () => {
    await setUp();
    trainer = await startTrainer(config, logger, { modelsChannel: storage.channel });
    // Enough work to outlive three lock periods on the fastest engine here (oneDNN: ~11 s).
    const { zip } = await buildClassFolderZip({ perClass: LONG_TRAINING.perClass });
    const job = await enqueueUpload(storage, queue, zip, { epochs: LONG_TRAINING.epochs });
    const started = Date.now();
    const { job: done, state } = await waitForJob(queue, job.id!, 120_000);
    const seconds = (Date.now() - started) / 1000;
    expect(state, done.failedReason).toBe('completed');
    // The test only means something if the job outlived several lock periods.
    expect(seconds).toBeGreaterThan(3 * 2);
    expect(stalled).toEqual([]);
    expect(done.stacktrace).toEqual([]);
  }, 150_000);

  test('when the trainer running a job is killed with SIGKILL, then another trainer picks the job up and completes it', async () => {
    await setUp();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: config.REDIS_URL,
      S3_ENDPOINT: config.S3_ENDPOINT,
      S3_BUCKET: config.S3_BUCKET,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      TRAINER_HEALTH_PORT: String(port),
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      REPLAY_SAMPLE_SIZE: '100',
      REPLAY_RATIO: '1',
      ...LOCKS,
    };
    child = spawnService({ name: 'trainer', script: 'services/trainer/src/main.ts', env, logger });
    await child.waitHealthy(`http://127.0.0.1:${port}/health`, 60_000);
    // Still training when the kill comes, however fast the engine.
    const { zip } = await buildClassFolderZip({ perClass: LONG_TRAINING.perClass });
    const job = await enqueueUpload(storage, queue, zip, { epochs: LONG_TRAINING.epochs });
    await waitForJob(queue, job.id!, 60_000, isTraining(2));
    process.kill(child.pid, 'SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    child = undefined;
    const versionsBefore = (await storage.registry.list()).versions.length;

    trainer = await startTrainer(config, logger, { modelsChannel: storage.channel });
    const { job: done, state } = await waitForJob(queue, job.id!, 120_000);
    expect(state, done.failedReason).toBe('completed');
    expect(stalled).toContain(job.id);
    // The killed attempt published nothing; the resumed one published exactly one version.
    expect((await storage.registry.list()).versions).toHaveLength(versionsBefore + 1);
    expect((await storage.registry.getCard(done.returnvalue.version)).training).toMatchObject({
      jobId: job.id,
    });
  }, 200_000);
});
