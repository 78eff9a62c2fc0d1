// POST /retrain while S3 is unreachable: a 503 that says what is unavailable, never the storage error.
// A file of its own, since a process runs one gateway and this one is started with a dead S3.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildClassFolderZip } from '@visionops/testkit';
import { startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'retrain-admin-token-0123456789';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    env: { ADMIN_TOKEN, QUEUE_PREFIX: `test-${randomUUID()}` },
    gatewayOnly: { S3_ENDPOINT: 'http://127.0.0.1:1' },
  });
});
afterAll(async () => {
  await gw.stop();
});

describe('POST /retrain without storage', () => {
  test('when the upload cannot be stored, then 503 retraining_unavailable says what is unavailable, without the details', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1 });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(zip)]), 'upload.zip');
    const response = await fetch(`${gw.url}/retrain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: form,
    });
    expect(response.status).toBe(503);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('retraining_unavailable');
    // A state to wait out: the message says so; the cause (S3's address, the refusal) stays in the log.
    expect(error.message).toBe('the job queue or the storage is unavailable');
    expect(JSON.stringify(error)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});
