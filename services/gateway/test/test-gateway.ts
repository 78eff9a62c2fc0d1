// Starts the real gateway in-process for a test file: embedded S3 with a fresh bucket, the real
// Redis, a models channel of its own, an empty baseline directory (so nothing is seeded unless a
// test asks), and helpers to publish small models and send images.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, RedisKeys, type Config, type Logger } from '@visionops/core';
import type { PublishedCard } from '@visionops/core/registry';
import {
  buildTestModel,
  startTestStorage,
  useCpuBackend,
  type TestModel,
  type TestStorage,
} from '@visionops/testkit';
import { startWebServer } from '../src/web-server.js';
import type { Gateway } from '../src/gateway.js';

export interface TestGateway {
  url: string;
  gateway: Gateway;
  storage: TestStorage;
  /** Publishes a width-4 model (weights from `seed`) and returns its card. */
  publish(seed?: number): Promise<PublishedCard>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: NodeJS.ProcessEnv;
  /** Publish and promote a first model before the gateway starts (default true). */
  withModel?: boolean;
  logger?: Logger;
  /** Settings for the gateway only (the test's own storage keeps the real ones), e.g. a dead S3. */
  gatewayOnly?: Partial<Config>;
}

const models = new Map<number, TestModel>();

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  await useCpuBackend();
  const baselineDir = mkdtempSync(join(tmpdir(), 'visionops-no-baseline-'));
  const storage = await startTestStorage({
    HOST: '127.0.0.1',
    PORT: '0',
    ML_BACKEND: 'wasm',
    BASELINE_MODEL_DIR: baselineDir,
    MODEL_POLL_INTERVAL_MS: '500',
    ...options.env,
  });
  const publish = async (seed = 1) => {
    let model = models.get(seed);
    if (!model) models.set(seed, (model = await buildTestModel(seed)));
    return storage.registry.publish(model.files, model.card);
  };
  if (options.withModel ?? true) {
    const first = await publish(1);
    await storage.registry.promote(first.version, 'test setup');
  }
  const server = await startWebServer(
    { ...storage.config, ...options.gatewayOnly },
    options.logger ?? createLogger('gateway-test', { level: 'silent' }),
    { modelsChannel: storage.channel },
  );
  const { url, gateway } = server;
  return {
    url,
    gateway,
    storage,
    publish,
    async stop() {
      await server.stop(1000);
      await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
      await storage.stop();
      rmSync(baselineDir, { recursive: true, force: true });
    },
  };
}

/** A multipart body with the given files under `field`. */
export function imageForm(field: string, files: { name: string; data: Buffer; type?: string }[]): FormData {
  const form = new FormData();
  for (const file of files) {
    form.append(field, new Blob([new Uint8Array(file.data)], { type: file.type ?? 'image/png' }), file.name);
  }
  return form;
}
