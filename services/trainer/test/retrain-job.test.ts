// A retrain job end to end inside the trainer: real Redis and BullMQ, the embedded S3 server, a
// width-4 production model and synthetic class-folder ZIPs.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { type Config, configToEnv, createLogger, loadConfig, S3Keys } from '@visionops/core';
import type { RetrainProgress } from '@visionops/core/jobs';
import { getDriftReference } from '@visionops/core/monitoring';
import {
  buildClassFolderZip,
  buildZip,
  dropQueue,
  enqueueUpload,
  openQueue,
  type RetrainQueue,
  retrainTestEnv,
  seedProduction,
  seedTrainerDatasets,
  startTestStorage,
  syntheticImage,
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

async function start(env: NodeJS.ProcessEnv = {}): Promise<{ config: Config; queue: RetrainQueue }> {
  const config = loadConfig({ ...configToEnv(storage.config), ...retrainTestEnv(env) });
  queue = openQueue(config);
  trainer = await startTrainer(config, logger, { modelsChannel: storage.channel });
  return { config, queue };
}

async function versions(): Promise<string[]> {
  return (await storage.registry.list()).versions.map((card) => card.version);
}

describe('handleRetrain', () => {
  test('when a ZIP of class folders is retrained, then a new version with a full card is published, gated and announced', async () => {
    await seedTrainerDatasets(storage);
    const { queue } = await start();
    const events = new Redis(storage.config.REDIS_URL);
    const announced: string[] = [];
    events.on('message', (_channel: string, message: string) => announced.push(message));
    await events.subscribe(storage.channel);
    const { zip } = await buildClassFolderZip({
      perClass: 3,
      extra: [
        { path: 'cat/broken.jpg', data: 'not an image' },
        { path: 'readme.txt', data: 'hello' },
      ],
    });
    const phases = new Set<string>();
    const job = await enqueueUpload(storage, queue, zip, { epochs: 2 });
    const { job: done, state } = await waitForJob(queue, job.id!, 90_000, (current, currentState) => {
      const progress = current.progress as RetrainProgress | number;
      if (typeof progress === 'object') phases.add(progress.phase);
      return currentState === 'completed' || currentState === 'failed';
    });
    await events.quit();

    expect(state, done.failedReason).toBe('completed');
    const result = done.returnvalue;
    expect(result.parent).toBe('v1');
    expect(result.version).toMatch(/^v[2-9]$/);
    expect(result.images).toEqual({ uploaded: 30, replay: 30, train: 60 });
    expect(result.skippedCount).toBe(2);
    expect(result.skipped.map((entry) => entry.reason).sort()).toEqual([
      'not_in_class_folder',
      'undecodable',
    ]);
    expect(result.evaluation).toEqual({ dataset: 'synthetic eval', n: 50 });
    expect(result.promoted).toBe(result.accuracy >= result.productionAccuracy - 0.01);
    expect((done.progress as RetrainProgress).history).toHaveLength(2);
    expect(phases.has('training') || phases.has('publishing')).toBe(true);

    const card = await storage.registry.getCard(result.version);
    expect(card.parent).toBe('v1');
    expect(card.metrics?.confusion).toHaveLength(10);
    expect(Object.keys(card.metrics?.perClass ?? {})).toHaveLength(10);
    expect(card.training).toMatchObject({
      recipe: 'retrain',
      jobId: job.id,
      upload: { sha256: job.data.uploadSha256 },
      images: { uploaded: 30, replay: 30, train: 60 },
      skippedCount: 2,
      epochs: 2,
    });
    const production = await storage.registry.getProduction();
    if (result.promoted) {
      expect(production?.alias.version).toBe(result.version);
      expect(announced).toContain(JSON.stringify({ type: 'promoted', version: result.version }));
    } else {
      expect(production?.alias.version).toBe('v1');
    }
    // The replay sample children of the new version will use: the parent's plus this upload.
    const replaySet = (card.training as { replaySet: string }).replaySet;
    expect(replaySet).toMatch(/^replay\/v1-[0-9a-f]{16}$/);
    expect(await storage.store.stat(S3Keys.datasetManifest(replaySet))).toBeDefined();
    // Stored with the version, before its promotion: the gateway has nothing to compute for it.
    const reference = await getDriftReference(storage.store, result.version);
    expect(reference).toMatchObject({
      version: result.version,
      n: 50,
      source: 'synthetic eval (50 of 50 images)',
    });
    expect(reference!.classFractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(reference!.signals.colour.fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(await getDriftReference(storage.store, 'v1')).toBeUndefined();
  }, 120_000);

  test('when a retry finds its version already published, then it only finishes the promotion and publishes nothing new', async () => {
    await seedTrainerDatasets(storage);
    const { queue } = await start({ PROMOTION_TOLERANCE: '1' });
    const { zip } = await buildClassFolderZip({ perClass: 2, classes: [0, 1, 2] });
    const first = await enqueueUpload(storage, queue, zip);
    const { job: done } = await waitForJob(queue, first.id!, 90_000);
    const { version, parent } = done.returnvalue;
    // As if the promotion had failed after publishing: production is back on the parent.
    await storage.registry.promote(parent, 'test: undo');
    const before = await versions();
    const retry = await queue.add(
      done.name,
      { ...done.data, publishedVersion: version },
      { jobId: `${first.id!}-retry` },
    );
    const { job: finished, state } = await waitForJob(queue, retry.id!, 30_000);
    expect(state, finished.failedReason).toBe('completed');
    expect(finished.returnvalue).toMatchObject({ version, promoted: true, parent });
    expect(await versions()).toEqual(before);
    expect((await storage.registry.getProduction())?.alias.version).toBe(version);
  }, 120_000);

  test.each([
    [
      'path traversal',
      () =>
        buildZip([{ path: 'cat/aa/aa/evil.png', data: 'x' }], { 'cat/aa/aa/evil.png': 'cat/../../evil.png' }),
      /\.\./,
    ],
    ['a nested archive', () => buildZip([{ path: 'cat/inner.zip', data: 'PK' }]), /another archive/],
    ['not a ZIP', () => Promise.resolve(Buffer.from('this is not a zip file at all')), /not a readable ZIP/],
    [
      'no decodable image',
      () => buildZip([{ path: 'cat/a.jpg', data: 'not an image' }]),
      /none of the files/,
    ],
  ])(
    'when the stored upload is %s, then the job fails once, without retries, and nothing is published',
    async (_name, build, reason) => {
      const { queue } = await start();
      const before = await versions();
      const job = await enqueueUpload(storage, queue, await build());
      const { job: done, state } = await waitForJob(queue, job.id!, 60_000);
      expect(state).toBe('failed');
      expect(done.failedReason).toMatch(reason);
      expect(done.attemptsMade).toBe(1);
      expect(await versions()).toEqual(before);
    },
  );

  test('when a zip bomb exceeds the unpacked-bytes limit, then the job fails without retries and says why', async () => {
    const { queue } = await start({ RETRAIN_MAX_UNPACKED_BYTES: String(1024 * 1024) });
    const zip = await buildZip([
      { path: 'cat/0.png', data: await syntheticImage(3, 0) },
      { path: 'cat/bomb.png', data: Buffer.alloc(4 * 1024 * 1024), compress: true },
    ]);
    expect(zip.length).toBeLessThan(64 * 1024);
    const job = await enqueueUpload(storage, queue, zip);
    const { job: done, state } = await waitForJob(queue, job.id!, 60_000);
    expect(state).toBe('failed');
    expect(done.failedReason).toMatch(/too many bytes|entry unpacks to too many bytes/);
    expect(done.attemptsMade).toBe(1);
  });
});
