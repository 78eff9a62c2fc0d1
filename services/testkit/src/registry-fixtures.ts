// Test helpers for anything that uses the model registry: an embedded S3 server with a fresh
// bucket, a Redis connection, and small real models (ResNet-9 at width 4) with their cards.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Redis } from 'ioredis';
import { startEmbeddedS3 } from '@visionops/infra/embedded-s3';
import { loadConfig, type Config } from '@visionops/core';
import { LABELS } from '@visionops/core';
import { RedisKeys } from '@visionops/core';
import {
  createModel,
  modelToFiles,
  type ArchitectureSpec,
  type ModelCard,
  type ModelFiles,
} from '@visionops/core/model';
import { CIFAR10_NORMALISATION, PREPROCESS_VERSION } from '@visionops/core';
import { createS3Client, ModelRegistry, ObjectStore } from '@visionops/core/registry';

export interface TestStorage {
  /** Configuration pointing at the embedded S3, a fresh bucket and the test Redis. */
  config: Config;
  store: ObjectStore;
  redis: Redis;
  /** A registry on the fresh bucket that announces on a channel of its own. */
  registry: ModelRegistry;
  channel: string;
  stop(): Promise<void>;
}

/** Starts an embedded S3 server (free port) with a fresh bucket; one per test file is plenty. */
export async function startTestStorage(env: NodeJS.ProcessEnv = {}): Promise<TestStorage> {
  const directory = mkdtempSync(join(tmpdir(), 'visionops-registry-'));
  const credentials = { accessKey: 'S3RVER', secretKey: 'S3RVER' };
  const s3 = await startEmbeddedS3({ directory, port: 0, ...credentials });
  const bucket = `test-${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const store = new ObjectStore(createS3Client(config), bucket);
  await store.ensureBucket(config.S3_REGION);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const channel = `test:models:${bucket}`;
  const registry = new ModelRegistry({ store, redis, channel });
  return {
    config,
    store,
    redis,
    registry,
    channel,
    async stop() {
      await redis.quit();
      await s3.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface TestModel {
  files: ModelFiles;
  card: ModelCard;
}

/**
 * A tiny untrained model (different weights per seed) and a card that serving accepts; `flip`
 * builds it to be served with flip test-time augmentation.
 */
export async function buildTestModel(seed = 1, width = 4, testTimeAugmentation?: 'flip'): Promise<TestModel> {
  const architecture: ArchitectureSpec = {
    name: 'resnet9',
    width,
    ...(testTimeAugmentation && { testTimeAugmentation }),
  };
  const model = createModel(architecture, seed);
  try {
    const files = await modelToFiles(model);
    const card: ModelCard = {
      parent: null,
      createdAt: new Date().toISOString(),
      labels: [...LABELS],
      architecture: { ...architecture, parameters: model.countParams(), inputShape: [32, 32, 3] },
      normalisation: { mean: [...CIFAR10_NORMALISATION.mean], std: [...CIFAR10_NORMALISATION.std] },
      preprocessVersion: PREPROCESS_VERSION,
      training: { recipe: 'test fixture', seed },
      metrics: null,
    };
    return { files, card };
  } finally {
    model.dispose();
  }
}

/** Model building needs some backend in the test process; cpu is enough for width 4. */
export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/**
 * Writes a width-4 ResNet-9 (seed 1) as a model directory under `dir`, laid out as
 * BASELINE_MODEL_DIR expects it, and returns that directory: a baseline that trains in seconds.
 */
export async function writeStandInBaseline(dir: string): Promise<string> {
  await useCpuBackend();
  const baseline = await buildTestModel(1);
  const baselineDir = join(dir, 'baseline');
  mkdirSync(baselineDir);
  writeFileSync(join(baselineDir, 'model.json'), baseline.files.modelJson);
  writeFileSync(join(baselineDir, 'weights.bin'), baseline.files.weightsBin);
  writeFileSync(join(baselineDir, 'card.json'), JSON.stringify(baseline.card));
  return baselineDir;
}

/** What a registry test file opens in beforeAll: storage, and a small model to publish (cpu backend). */
export async function openRegistryTest(): Promise<{ storage: TestStorage; model: TestModel }> {
  await useCpuBackend();
  return { storage: await startTestStorage(), model: await buildTestModel(1) };
}

/** Its afterAll: forgets the bucket's version counter in the shared Redis and stops the storage. */
export async function closeRegistryTest(storage: TestStorage): Promise<void> {
  await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
  await storage.stop();
}
