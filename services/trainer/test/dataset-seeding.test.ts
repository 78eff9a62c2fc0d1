// Seeding the trainer's datasets in S3: a class-balanced replay sample and the evaluation set, once,
// from the configured paths; a source without images stores nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, loadConfig } from '@visionops/core';
import { buildClassFolderZip, startTestStorage, type TestStorage } from '@visionops/testkit';
import { seedDatasets } from '../src/retrain/dataset-seeding.js';
import { countPerClass, DatasetNames, getStoredDataset } from '@visionops/core/dataset';

const logger = createLogger('test', { level: 'silent' });
let storage: TestStorage;
let dir: string;

beforeAll(async () => {
  storage = await startTestStorage();
  dir = mkdtempSync(join(tmpdir(), 'visionops-seeding-'));
  writeFileSync(join(dir, 'train.zip'), (await buildClassFolderZip({ perClass: 6 })).zip);
  writeFileSync(join(dir, 'test.zip'), (await buildClassFolderZip({ perClass: 3, format: 'jpeg' })).zip);
});
afterAll(async () => {
  await storage.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(env: NodeJS.ProcessEnv) {
  return loadConfig({ DATA_DIR: join(dir, 'data'), ...env });
}

describe('seedDatasets', () => {
  test('when the sources have no images, then nothing is stored and the report says so', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const report = await seedDatasets(
      config({ REPLAY_DATA_PATH: empty, EVAL_DATA_PATH: join(dir, 'missing.zip') }),
      storage.store,
      logger,
    );
    expect(report).toEqual({ replay: 'no_source', evaluation: 'no_source' });
    expect(await getStoredDataset(storage.store, DatasetNames.baselineReplay)).toBeUndefined();
  });

  test('when the paths hold images, then a class-balanced replay sample and the evaluation set are stored, once', async () => {
    const settings = config({
      REPLAY_DATA_PATH: join(dir, 'train.zip'),
      EVAL_DATA_PATH: join(dir, 'test.zip'),
      REPLAY_SAMPLE_SIZE: '30',
    });
    expect(await seedDatasets(settings, storage.store, logger)).toEqual({
      replay: 'seeded',
      evaluation: 'seeded',
    });
    const replay = await getStoredDataset(storage.store, DatasetNames.baselineReplay);
    expect(replay?.manifest).toMatchObject({
      source: 'train.zip',
      n: 30,
      perClass: new Array<number>(10).fill(3),
    });
    expect(countPerClass(replay!.dataset.labels)).toEqual(new Array<number>(10).fill(3));
    const evaluation = await getStoredDataset(storage.store, DatasetNames.evaluation);
    expect(evaluation?.manifest).toMatchObject({ source: 'test.zip', n: 30 });
    expect(await seedDatasets(settings, storage.store, logger)).toEqual({
      replay: 'present',
      evaluation: 'present',
    });
  });
});
