// A retrain job told to end in a rollout (`promote: canary`): the version that passes the gate starts
// a canary instead of being promoted, production stays, and a retry reports the same rollout.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { configToEnv, createLogger, JobName, loadConfig, S3Keys } from '@visionops/core';
import { retrainJobId, type RetrainJobData } from '@visionops/core/jobs';
import { RolloutRegistry } from '@visionops/core/registry';
import {
  buildClassFolderZip,
  dropQueue,
  openQueue,
  type RetrainQueue,
  retrainTestEnv,
  seedProduction,
  seedTrainerDatasets,
  startTestStorage,
  type TestStorage,
  waitForJob,
} from '@visionops/testkit';
import { startTrainer, type Trainer } from '../src/trainer.js';

const logger = createLogger('test', { level: 'silent' });
let storage: TestStorage;
let trainer: Trainer | undefined;
let queue: RetrainQueue | undefined;

beforeAll(async () => {
  storage = await startTestStorage();
  await seedProduction(storage);
  await seedTrainerDatasets(storage);
});
afterAll(async () => {
  await storage.stop();
});
afterEach(async () => {
  await trainer?.stop({ force: true });
  trainer = undefined;
  if (queue) await dropQueue(queue);
  queue = undefined;
});

describe('retrain ending in a rollout', () => {
  test('when a job asks for promote: canary, then its gated version starts a canary and production stays; a retry reports the same rollout', async () => {
    // A tolerance of 1 lets any accuracy pass the gate: what is tested is what happens after it.
    const config = loadConfig({
      ...configToEnv(storage.config),
      ...retrainTestEnv({ PROMOTION_TOLERANCE: '1' }),
    });
    queue = openQueue(config);
    trainer = await startTrainer(config, logger, { modelsChannel: storage.channel });
    const { zip } = await buildClassFolderZip({ perClass: 2, classes: [0, 1, 2] });
    const sha256 = createHash('sha256').update(zip).digest('hex');
    await storage.store.put(S3Keys.upload(sha256), zip, 'application/zip');
    const data: RetrainJobData = {
      uploadKey: S3Keys.upload(sha256),
      uploadSha256: sha256,
      uploadBytes: zip.length,
      epochs: 1,
      requestedAt: new Date().toISOString(),
      promote: 'canary',
      rolloutPercent: 15,
    };
    const job = await queue.add(JobName.Retrain, data, { jobId: retrainJobId(sha256, 1) });
    const { job: waited, state } = await waitForJob(queue, job.id!, 90_000);
    expect(state, waited.failedReason).toBe('completed');
    // Read again: the job may have been read just before it completed, and its state just after.
    const done = (await queue.getJob(job.id!))!;
    const result = done.returnvalue;
    expect(result.promoted).toBe(false);
    expect(result.rollout).toMatchObject({ mode: 'canary', percent: 15 });
    expect(result.reason).toMatch(/^rollout r\S+ started \(canary 15%\) instead of a direct promotion/);

    const rollouts = new RolloutRegistry(storage.registry, storage.redis);
    const current = (await rollouts.current())?.rollout;
    expect(current).toMatchObject({
      id: result.rollout!.id,
      candidate: result.version,
      baseline: result.parent,
      mode: 'canary',
      percent: 15,
    });
    expect((await storage.registry.getProduction())?.alias.version).toBe(result.parent);

    const retry = await queue.add(
      done.name,
      { ...done.data, publishedVersion: result.version },
      { jobId: `${job.id!}-retry` },
    );
    const { job: retryWaited, state: retryState } = await waitForJob(queue, retry.id!, 30_000);
    expect(retryState, retryWaited.failedReason).toBe('completed');
    const retried = (await queue.getJob(retry.id!))!;
    expect(retried.returnvalue.rollout?.id).toBe(result.rollout!.id);

    await rollouts.finish({
      id: current!.id,
      outcome: 'aborted',
      reason: 'test over',
      decidedBy: 'admin',
      stats: null,
    });
  }, 120_000);
});
