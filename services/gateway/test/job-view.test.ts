// How GET /jobs/:id reads a job against the real Redis: a job's fields and its state are separate
// reads, and a job that finishes between them must not show a running attempt's fields.
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JobName, QUEUE_RETRAIN } from '@visionops/core';
import type { ObjectStore } from '@visionops/core/registry';
import { RetrainJobs } from '../src/retrain/retrain-jobs.js';
import { until } from '@visionops/testkit';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE_PREFIX = `test-${randomUUID()}`;
let redis: Redis;
let jobs: RetrainJobs;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const config = {
    QUEUE_PREFIX,
    RETRAIN_BACKOFF_MS: 100,
    RETRAIN_MAX_ZIP_ENTRIES: 10,
    RETRAIN_MAX_UNPACKED_BYTES: 1024,
  };
  // Reading jobs never touches S3; the store is only used by submit().
  jobs = new RetrainJobs(config, redis, undefined as unknown as ObjectStore);
});
afterAll(async () => {
  await jobs.queue.obliterate({ force: true });
  await jobs.close();
  await redis.quit();
});

describe('job view', () => {
  test('when a job read before it ran has failed since, then its view shows the final attempt count and reason', async () => {
    const added = await jobs.queue.add(
      JobName.Retrain,
      {
        uploadKey: 'uploads/none.zip',
        uploadSha256: 'a'.repeat(64),
        uploadBytes: 1,
        fileName: 'none.zip',
        epochs: 1,
        requestedAt: new Date().toISOString(),
        requestId: 'test',
      },
      { jobId: `view-${randomUUID()}`, attempts: 2, backoff: { type: 'fixed', delay: 50 } },
    );
    const snapshot = (await jobs.queue.getJob(added.id!))!;
    expect(snapshot.attemptsMade).toBe(0);

    const worker = new Worker(QUEUE_RETRAIN, () => Promise.reject(new Error('S3 could not be reached')), {
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: QUEUE_PREFIX,
    });
    try {
      await until('the job to fail', 10_000, async () =>
        (await added.getState()) === 'failed' ? true : undefined,
      );
    } finally {
      await worker.close();
    }

    const view = await jobs.view(snapshot);
    expect(view).toMatchObject({
      state: 'failed',
      attempts: { made: 2, max: 2 },
      failedReason: 'S3 could not be reached',
    });
    expect(view?.finishedAt).not.toBeNull();
  });
});
