// Cancelling a running retrain job over HTTP: the gateway signals, the trainer stops within 5 s,
// the job reads as cancelled, is not retried, and nothing is published or promoted.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { configToEnv, createLogger, loadConfig } from '@visionops/core';
import type { RetrainProgress } from '@visionops/core/jobs';
import {
  buildClassFolderZip,
  dropQueue,
  openQueue,
  type RetrainQueue,
  retrainTestEnv,
  seedTrainerDatasets,
  waitForJob,
} from '@visionops/testkit';
import { startTestGateway, type TestGateway } from '@visionops/gateway/test-gateway';
import { startTrainer, type Trainer } from '../src/trainer.js';

const ADMIN_TOKEN = 'cancel-test-admin-token-0123';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let gw: TestGateway;
let trainer: Trainer;
let queue: RetrainQueue;

beforeAll(async () => {
  gw = await startTestGateway({ env: { ADMIN_TOKEN, QUEUE_PREFIX: `test-${randomUUID()}` } });
  await seedTrainerDatasets(gw.storage);
  const config = loadConfig({
    ...configToEnv(gw.storage.config),
    ...retrainTestEnv({ QUEUE_PREFIX: gw.gateway.config.QUEUE_PREFIX }),
  });
  queue = openQueue(config);
  trainer = await startTrainer(config, createLogger('trainer', { level: 'silent' }), {
    modelsChannel: gw.storage.channel,
  });
});
afterAll(async () => {
  await trainer.stop({ force: true });
  await dropQueue(queue);
  await gw.stop();
});

describe('DELETE /jobs/:id on a running job', () => {
  test('when the job is training, then it stops within 5 s, reads as cancelled and publishes nothing', async () => {
    const versionsBefore = (await gw.storage.registry.list()).versions.length;
    const { zip } = await buildClassFolderZip({ perClass: 8 });
    const form = new FormData();
    form.append('epochs', '50');
    form.append('file', new Blob([new Uint8Array(zip)]), 'long.zip');
    const accepted = await fetch(`${gw.url}/retrain`, { method: 'POST', headers: admin, body: form });
    expect(accepted.status).toBe(202);
    const { jobId } = (await accepted.json()) as { jobId: string };

    await waitForJob(queue, jobId, 60_000, (job) => {
      const progress = job.progress as RetrainProgress | number;
      return typeof progress === 'object' && progress.phase === 'training' && (progress.batch ?? 0) >= 1;
    });
    const requested = Date.now();
    const response = await fetch(`${gw.url}/jobs/${jobId}`, { method: 'DELETE', headers: admin });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ state: 'active', cancelRequested: true });

    const { job, state } = await waitForJob(queue, jobId, 10_000);
    const stoppedWithinMs = Date.now() - requested;
    expect(state).toBe('failed');
    expect(stoppedWithinMs).toBeLessThan(5000);
    expect(job.attemptsMade).toBe(1);
    const view = (await (await fetch(`${gw.url}/jobs/${jobId}`)).json()) as {
      state: string;
      failedReason: string;
    };
    expect(view.state).toBe('cancelled');
    expect(view.failedReason).toMatch(/cancelled.*nothing was published/);
    // Still nothing after the job is over: no version, production unchanged.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await gw.storage.registry.list()).versions).toHaveLength(versionsBefore);
    expect((await gw.storage.registry.getProduction())?.alias.version).toBe('v1');
    expect((await fetch(`${gw.url}/jobs/${jobId}`, { method: 'DELETE', headers: admin })).status).toBe(409);
  }, 90_000);
});
