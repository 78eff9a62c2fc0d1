// How the gateway starts without a model: an empty registry, S3 down, and seeding the registry
// from the baseline directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { buildTestModel, eventually, syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

interface Ready {
  status: string;
  checks: Record<string, string>;
  reasons: string[];
  modelVersion: string | null;
}

async function ready(url: string): Promise<{ status: number; body: Ready }> {
  const response = await fetch(`${url}/ready`);
  return { status: response.status, body: (await response.json()) as Ready };
}

async function predict(url: string): Promise<Response> {
  const form = imageForm('file', [{ name: 'a.png', data: await syntheticImage(0, 0) }]);
  return fetch(`${url}/predict`, { method: 'POST', body: form });
}

describe('gateway start-up', () => {
  test('when the registry is empty, then /predict is 503 model_not_ready until a model is promoted', async () => {
    gw = await startTestGateway({ withModel: false });
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    const refused = await predict(gw.url);
    expect(refused.status).toBe(503);
    // What to do about it, not a fault to report.
    expect(await refused.json()).toEqual({
      error: {
        code: 'model_not_ready',
        message: expect.stringMatching(/no model is loaded yet.*retry/) as string,
      },
    });
    const notReady = await ready(gw.url);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks).toMatchObject({ model: 'failed', redis: 'ok', s3: 'ok', backend: 'ok' });
    expect(notReady.body.reasons.join()).toMatch(/model/);

    const card = await gw.publish(1);
    await gw.storage.registry.promote(card.version, 'first');
    await eventually(async () => (await ready(gw!.url)).status === 200, 5000);
    expect((await predict(gw.url)).status).toBe(200);
  });

  test('when S3 is unreachable, then the gateway still starts and /ready and /predict say why', async () => {
    gw = await startTestGateway({ withModel: false, gatewayOnly: { S3_ENDPOINT: 'http://127.0.0.1:1' } });
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect((await predict(gw.url)).status).toBe(503);
    const notReady = await ready(gw.url);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.s3).toBe('failed');
    expect(notReady.body.reasons.some((reason) => reason.startsWith('s3:'))).toBe(true);
  });

  test('when the registry is empty and the baseline directory has a model, then it is seeded as v1 and served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'visionops-baseline-'));
    try {
      const { files, card } = await buildTestModel(7);
      writeFileSync(join(dir, 'model.json'), files.modelJson);
      writeFileSync(join(dir, 'weights.bin'), files.weightsBin);
      writeFileSync(join(dir, 'card.json'), JSON.stringify(card));
      gw = await startTestGateway({ withModel: false, env: { BASELINE_MODEL_DIR: dir } });
      await eventually(() => gw!.gateway.pool.modelVersion !== undefined, 5000);
      const { versions, production } = await gw.storage.registry.list();
      expect(versions.map((entry) => entry.version)).toEqual(['v1']);
      expect(production?.version).toBe('v1');
      expect(gw.gateway.pool.modelVersion).toBe('v1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
