// A trainer that loses its job's lock (it, or Redis, stalled for longer than RETRAIN_LOCK_MS)
// while another trainer is idle: the job runs again on the other one, and the first run must stop
// rather than publish a second version of the same job.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { QueueEvents } from 'bullmq';
import { createLogger, loadConfig, type Config } from '@visionops/core';
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
  until,
  waitForJob,
} from '@visionops/testkit';
import { handleRetrain } from '../src/retrain/retrain-job.js';
import { startTrainer, type Trainer } from '../src/trainer.js';

const LOCKS = { RETRAIN_LOCK_MS: '3000', RETRAIN_STALLED_INTERVAL_MS: '1000' };
// How a run ends in a trainer's log: stopped once its lock was lost (as it should), or published.
const STOPPED = /retrain run stopped|retrain job cancelled/;
const PUBLISHED = /retrained version published/;
const LOCK_LOST = /lost the lock on a retrain job/;

interface LogLine {
  msg: string;
  jobId?: string;
}
interface LoggedTrainer {
  trainer: Trainer;
  lines: LogLine[];
}

let storage: TestStorage;
let config: Config;
let queue: RetrainQueue;
let events: QueueEvents;
let trainers: LoggedTrainer[] = [];

beforeAll(async () => {
  storage = await startTestStorage();
  await seedProduction(storage);
  await seedTrainerDatasets(storage);
});
afterAll(async () => {
  await storage.stop();
});
// A queue prefix, queue, event stream and trainers of each test's own: nothing carries over.
beforeEach(async () => {
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
afterEach(async () => {
  const stopping = trainers;
  trainers = [];
  await Promise.all(stopping.map(({ trainer }) => trainer.stop({ force: true })));
  await events.close();
  await dropQueue(queue);
});

/**
 * A trainer in this process with a log of its own: the two trainers share a process, so their
 * heartbeats and BullMQ worker names are alike, and only their logs tell their runs apart.
 */
async function startLoggedTrainer(): Promise<LoggedTrainer> {
  const lines: LogLine[] = [];
  const logger = createLogger('trainer', {
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  const logged = { trainer: await startTrainer(config, logger, { modelsChannel: storage.channel }), lines };
  trainers.push(logged);
  return logged;
}

describe('a lost job lock', () => {
  test('when the lock turns out lost as the run is about to publish, then it stops there and publishes nothing', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 2, classes: [0, 1] });
    // The handler alone, no worker: its lock check answers "lost", as after a stall noticed late.
    const job = await enqueueUpload(storage, queue, zip);
    const versionsBefore = (await storage.registry.list()).versions.length;
    let asked = 0;
    const outcome = await handleRetrain(
      job,
      new AbortController().signal,
      {
        config,
        registry: storage.registry,
        store: storage.store,
        redis: storage.redis,
        logger: createLogger('trainer', { level: 'silent' }),
      },
      () => {
        asked++;
        return Promise.resolve(false);
      },
    ).then(
      () => 'published',
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/lock lapsed before publishing; this run stopped/);
    expect(asked).toBe(1);
    expect((await storage.registry.list()).versions).toHaveLength(versionsBefore);
    expect((await queue.getJob(job.id!))?.data.publishedVersion).toBeUndefined();
  }, 120_000);

  test('when a running job loses its lock and another trainer reruns it, then the first run stops and one version is published', async () => {
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    const both = [await startLoggedTrainer(), await startLoggedTrainer()];
    const versionsBefore = (await storage.registry.list()).versions.length;
    // Still training when the lock is found lost (up to a lock period later), however fast the engine.
    const { zip } = await buildClassFolderZip({ perClass: LONG_TRAINING.perClass });
    const job = await enqueueUpload(storage, queue, zip, { epochs: LONG_TRAINING.epochs });
    await waitForJob(queue, job.id!, 60_000, (current) => {
      const progress = current.progress as RetrainProgress | number;
      return typeof progress === 'object' && progress.phase === 'training' && (progress.epoch ?? 0) >= 2;
    });

    // What a stall longer than the lock leaves behind: the lock key gone while the run goes on.
    await storage.redis.del(`${config.QUEUE_PREFIX}:${queue.name}:${job.id!}:lock`);

    const { job: done, state } = await waitForJob(queue, job.id!, 150_000);
    expect(state, done.failedReason).toBe('completed');
    expect(stalled).toContain(job.id);
    // The end of the first run, as its trainer logged it after losing the lock: from then on it
    // cannot publish anything, so the versions counted below are final.
    const firstRunEnd = await until('the end of the run that lost its lock', 60_000, () => {
      for (const { lines } of both) {
        const ofJob = lines.filter((line) => line.jobId === job.id);
        const lost = ofJob.findIndex((line) => LOCK_LOST.test(line.msg));
        if (lost === -1) continue;
        const end = ofJob.slice(lost + 1).find((line) => STOPPED.test(line.msg) || PUBLISHED.test(line.msg));
        if (end) return end.msg;
      }
      return undefined;
    });
    expect(firstRunEnd).toMatch(STOPPED);
    const versions = (await storage.registry.list()).versions;
    expect(versions.filter((card) => card.training.jobId === job.id)).toHaveLength(1);
    expect(versions).toHaveLength(versionsBefore + 1);
  }, 200_000);
});
