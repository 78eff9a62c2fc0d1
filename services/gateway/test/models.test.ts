// The registry routes and hot reload: listing, admin promotion (event), rollback, the ETag poll
// fallback, and a model that fails to load while the old one keeps serving.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S3Keys } from '@visionops/core';
import { eventually, syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
let gw: TestGateway;
let first: string;

beforeAll(async () => {
  // A long poll interval, so only the event can explain a quick swap (except in the poll test).
  gw = await startTestGateway({ env: { ADMIN_TOKEN, MODEL_POLL_INTERVAL_MS: '60000' } });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  first = gw.gateway.pool.modelVersion!;
});
afterAll(async () => {
  await gw.stop();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

function promote(version: string, headers: Record<string, string> = admin, body = '{"reason":"test"}') {
  return fetch(`${gw.url}/models/${version}/promote`, { method: 'POST', headers, body });
}

async function servedVersion(): Promise<string> {
  const form = imageForm('file', [{ name: 'a.png', data: await syntheticImage(4, 4) }]);
  const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: form });
  return ((await response.json()) as { modelVersion: string }).modelVersion;
}

describe('GET /models', () => {
  test('when versions are published, then all are listed with cards and the one in production is marked', async () => {
    const second = await gw.publish(2);
    const response = await fetch(`${gw.url}/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      production: { version: string };
      serving: string;
      versions: { version: string; inProduction: boolean; architecture: { width: number } }[];
    };
    expect(body.production.version).toBe(first);
    expect(body.serving).toBe(first);
    expect(body.versions.map((card) => card.version)).toEqual([first, second.version]);
    expect(body.versions.map((card) => card.inProduction)).toEqual([true, false]);
    expect(body.versions[0]!.architecture.width).toBe(4);
  });

  test('when one version is asked for, then its card comes back; unknown is 404, malformed 400', async () => {
    const response = await fetch(`${gw.url}/models/${first}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ version: first, inProduction: true });
    const unknown = await fetch(`${gw.url}/models/v9999`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
    const malformed = await fetch(`${gw.url}/models/latest`);
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/v1, v2/);
  });
});

describe('POST /models/:version/promote', () => {
  test('when no token is sent, then 401; a wrong token, then 403; and production is unchanged', async () => {
    const none = await promote(first, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const wrong = await promote(first, { authorization: 'Bearer not-the-admin-token-xx' });
    expect(wrong.status).toBe(403);
    expect((await gw.storage.registry.getProduction())?.alias.version).toBe(first);
  });

  test('when an unknown version is promoted, then 404 and production is unchanged', async () => {
    const response = await promote('v9999');
    expect(response.status).toBe(404);
    expect((await gw.storage.registry.getProduction())?.alias.version).toBe(first);
  });

  test('when the body is invalid, then 400 names the field', async () => {
    const response = await promote(first, admin, '{"reason": 42}');
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/reason/);
  });

  test('when a version is promoted, then the event makes the gateway serve it; promoting the old one rolls back', async () => {
    const second = await gw.publish(3);
    const response = await promote(second.version);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ production: { version: second.version, reason: 'test' } });
    await eventually(() => gw.gateway.pool.modelVersion === second.version, 5000);
    expect(await servedVersion()).toBe(second.version);

    expect((await promote(first)).status).toBe(200);
    await eventually(() => gw.gateway.pool.modelVersion === first, 5000);
    expect(await servedVersion()).toBe(first);
  });
});

describe('hot reload', () => {
  test('when production.json changes without an event, then the ETag poll picks it up', async () => {
    const third = await gw.publish(4);
    // Written behind the gateway's back: no message on the channel.
    await gw.storage.store.put(
      S3Keys.productionAlias,
      JSON.stringify({ version: third.version, promotedAt: new Date().toISOString(), reason: 'manual' }),
      'application/json',
    );
    // The poll runs every 60 s here; run one poll cycle now instead of waiting.
    await gw.gateway.reloader.sync();
    expect(gw.gateway.pool.modelVersion).toBe(third.version);
  });

  test('when a promoted version cannot load, then the old model keeps serving and the failure is counted', async () => {
    const serving = gw.gateway.pool.modelVersion!;
    const good = await gw.publish(5);
    const files = await gw.storage.registry.getFiles(good.version);
    const card = await gw.storage.registry.getCard(good.version);
    const { version: _version, sizeBytes: _size, ...blank } = card;
    const broken = await gw.storage.registry.publish(
      { modelJson: files.modelJson, weightsBin: files.weightsBin.subarray(0, 100) },
      blank,
    );
    expect((await promote(broken.version)).status).toBe(200);
    await eventually(async () => /visionops_model_load_failures_total [1-9]/.test(await metricsText()), 5000);
    expect(gw.gateway.pool.modelVersion).toBe(serving);
    expect(await servedVersion()).toBe(serving);
    const ready = (await (await fetch(`${gw.url}/ready`)).json()) as { modelVersion: string };
    expect(ready.modelVersion).toBe(serving);
  });
});

async function metricsText(): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}
