// The prediction log's roll-up to S3: new entries become one gzipped JSON-lines object per batch,
// each entry copied once, and only the holder of the lock copies.
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisKeys, S3Keys } from '@visionops/core';
import { eventually, syntheticImage } from '@visionops/testkit';
import { predictionRecordSchema } from '../src/monitoring/prediction-record.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    env: { QUEUE_PREFIX: `test-${randomUUID()}`, PREDICTION_LOG_ROLLUP_INTERVAL_MS: '0' },
  });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
});

afterAll(async () => {
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

async function predict(count: number): Promise<string[]> {
  const images = await Promise.all(
    Array.from({ length: count }, async (_, i) => ({ name: `${i}.png`, data: await syntheticImage(i, i) })),
  );
  const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: imageForm('files', images) });
  const { results } = (await response.json()) as { results: { predictionId: string }[] };
  await gw.gateway.predictionLog.settle();
  return results.map((result) => result.predictionId);
}

async function idsIn(key: string): Promise<string[]> {
  const text = gunzipSync((await gw.storage.store.get(key)).body).toString('utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => predictionRecordSchema.parse(JSON.parse(line)).id);
}

describe('prediction log roll-up', () => {
  test('when it runs after new predictions, then they are copied to S3 once each, in order', async () => {
    const first = await predict(3);
    const run1 = await gw.gateway.predictionRollup.runOnce();
    expect(run1).toMatchObject({ outcome: 'done', entries: 3 });
    const [key1] = run1.outcome === 'done' ? run1.objects : [];
    expect(key1).toMatch(/^predictions\/\d{4}-\d\d-\d\d\/\d+-\d+_\d+-\d+\.jsonl\.gz$/);
    expect(await idsIn(key1!)).toEqual(first);

    const second = await predict(2);
    const run2 = await gw.gateway.predictionRollup.runOnce();
    expect(run2).toMatchObject({ outcome: 'done', entries: 2 });
    expect(await idsIn(run2.outcome === 'done' ? run2.objects[0]! : '')).toEqual(second);

    expect(await gw.gateway.predictionRollup.runOnce()).toEqual({ outcome: 'done', entries: 0, objects: [] });
    expect((await gw.storage.store.list(S3Keys.predictionBatchPrefix)).length).toBe(2);
  });

  test('when another gateway holds the lock, then this one copies nothing', async () => {
    await predict(1);
    const lock = RedisKeys.predictionRollupLock(gw.gateway.config.QUEUE_PREFIX);
    await gw.storage.redis.set(lock, 'another-gateway', 'PX', 10_000);
    try {
      expect(await gw.gateway.predictionRollup.runOnce()).toEqual({ outcome: 'locked' });
      expect(await gw.storage.redis.get(lock)).toBe('another-gateway');
    } finally {
      await gw.storage.redis.del(lock);
    }
    expect(await gw.gateway.predictionRollup.runOnce()).toMatchObject({ outcome: 'done', entries: 1 });
  });
});
