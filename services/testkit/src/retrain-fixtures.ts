// Test helpers for retrain jobs: a fresh queue prefix per test, a tiny production model in a fresh
// bucket, synthetic replay and evaluation sets in S3, uploads, and waiting for a job to settle.
import { createHash, randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JobName, PIXELS_PER_IMAGE, QUEUE_RETRAIN, S3Keys, type Config } from '@visionops/core';
import { DatasetNames, type DecodedDataset, putStoredDataset } from '@visionops/core/dataset';
import { RETRAIN_EPOCHS, retrainJobId, type RetrainJobData, type RetrainResult } from '@visionops/core/jobs';
import { buildTestModel, useCpuBackend, type TestStorage } from './registry-fixtures.js';
import { until } from './eventually.js';
import { syntheticPixels } from './fixtures.js';

export type RetrainQueue = Queue<RetrainJobData, RetrainResult>;

/** Settings of a retrain test: its own queue prefix, quick retries and a small fine-tune. */
export function retrainTestEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    QUEUE_PREFIX: `test-${randomUUID()}`,
    RETRAIN_BACKOFF_MS: '300',
    TRAINER_HEALTH_PORT: '0',
    REPLAY_SAMPLE_SIZE: '100',
    REPLAY_RATIO: '1',
    ...extra,
  };
}

export function openQueue(config: Config): RetrainQueue {
  return new Queue(QUEUE_RETRAIN, {
    connection: { url: config.REDIS_URL, maxRetriesPerRequest: null },
    prefix: config.QUEUE_PREFIX,
  });
}

/** Removes every key of the test's queue prefix (its queue, jobs and cancel keys). */
export async function dropQueue(queue: RetrainQueue): Promise<void> {
  await queue.obliterate({ force: true });
  const redis = new Redis((queue.opts.connection as { url: string }).url);
  try {
    const keys = await redis.keys(`${queue.opts.prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
  await queue.close();
}

/**
 * An upload size and epoch count for a test that acts while a job is training (a signal, a kill, an
 * outage): the training phase lasts seconds, not a fraction of one, even on the fastest engine here.
 * Its progress reports come after each batch of 64 images; how long it lasts is measured in
 * faults-sigterm.test.ts and printed with its result.
 */
export const LONG_TRAINING = Object.freeze({ perClass: 24, epochs: RETRAIN_EPOCHS.max });

/** Publishes and promotes a width-4 model as the production version (v1). */
export async function seedProduction(storage: TestStorage, seed = 1): Promise<string> {
  await useCpuBackend();
  const { files, card } = await buildTestModel(seed);
  const published = await storage.registry.publish(files, card);
  await storage.registry.promote(published.version, 'test seed');
  return published.version;
}

/** A synthetic decoded set with `perClass` images of each of the ten classes. */
export function syntheticDataset(perClass: number, offset = 0): DecodedDataset {
  const n = perClass * 10;
  const images = new Uint8Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    images.set(syntheticPixels(i % 10, offset + Math.floor(i / 10)), i * PIXELS_PER_IMAGE);
  }
  return { images, labels, n, skipped: [] };
}

/** Stores the replay sample and evaluation set a seeded trainer would have. */
export async function seedTrainerDatasets(storage: TestStorage): Promise<void> {
  await putStoredDataset(
    storage.store,
    DatasetNames.baselineReplay,
    syntheticDataset(10, 100),
    'synthetic replay',
  );
  await putStoredDataset(storage.store, DatasetNames.evaluation, syntheticDataset(5, 500), 'synthetic eval');
}

/** Stores `zip` as an upload and enqueues its job the way the gateway does. */
export async function enqueueUpload(
  storage: TestStorage,
  queue: RetrainQueue,
  zip: Buffer,
  {
    epochs = 1,
    attempts = 3,
    backoffMs = 300,
  }: { epochs?: number; attempts?: number; backoffMs?: number } = {},
): Promise<Job<RetrainJobData, RetrainResult>> {
  const sha256 = createHash('sha256').update(zip).digest('hex');
  await storage.store.put(S3Keys.upload(sha256), zip, 'application/zip');
  return queue.add(
    JobName.Retrain,
    {
      uploadKey: S3Keys.upload(sha256),
      uploadSha256: sha256,
      uploadBytes: zip.length,
      fileName: 'test.zip',
      epochs,
      requestedAt: new Date().toISOString(),
    },
    { jobId: retrainJobId(sha256, epochs), attempts, backoff: { type: 'exponential', delay: backoffMs } },
  );
}

/** Polls until the job completes or fails for good; returns its final state. */
export async function waitForJob(
  queue: RetrainQueue,
  jobId: string,
  timeoutMs: number,
  reached: (job: Job<RetrainJobData, RetrainResult>, state: string) => boolean = (_job, state) =>
    state === 'completed' || state === 'failed',
): Promise<{ job: Job<RetrainJobData, RetrainResult>; state: string }> {
  let last = 'missing';
  return until(
    `job ${jobId} reaching the expected state`,
    timeoutMs,
    async () => {
      // The state first, then the fields: a job read while it ran and found finished a moment later
      // would show a finished state with that run's fields (no return value yet). A finished state
      // is final, so the fields read after it are the finished job's.
      const bullState = await queue.getJobState(jobId);
      const job = await queue.getJob(jobId);
      const state = job && bullState !== 'unknown' ? bullState : 'missing';
      last = `${state}, progress ${JSON.stringify(job?.progress)}`;
      return job && reached(job, state) ? { job, state } : undefined;
    },
    150,
    () => last,
  );
}
