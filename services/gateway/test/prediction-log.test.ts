// The prediction log end to end: ids in answers, entries in the Redis stream with their top-3,
// latency and input statistics, sampling, stored inputs only when allowed, and a Redis outage that
// costs the log its entries but never a prediction.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, loadConfig, RedisKeys } from '@visionops/core';
import { eventually, syntheticImage } from '@visionops/testkit';
import { GatewayMetrics } from '../src/observability/gateway-metrics.js';
import { PredictionLog } from '../src/monitoring/prediction-log.js';
import { predictionRecordSchema } from '../src/monitoring/prediction-record.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function predict(gw: TestGateway, form: FormData) {
  const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: form });
  return {
    status: response.status,
    header: response.headers.get('x-prediction-id'),
    json: (await response.json()) as never,
  };
}

async function logEntries(gw: TestGateway) {
  const key = RedisKeys.predictionLog(gw.gateway.config.QUEUE_PREFIX);
  const entries = await gw.storage.redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => predictionRecordSchema.parse(JSON.parse(fields[1]!)));
}

async function cleanUp(gw: TestGateway) {
  const prefix = gw.gateway.config.QUEUE_PREFIX;
  const keys = await gw.storage.redis.keys(`${prefix}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
}

describe('prediction log, every prediction logged', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { QUEUE_PREFIX: `test-${randomUUID()}` } });
    await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  });
  afterAll(async () => {
    await cleanUp(gw);
    await gw.stop();
  });

  test('when one image is classified, then its predictionId is in the body, the header and the log', async () => {
    const image = await syntheticImage(3, 1, { format: 'jpeg', size: 48 });
    const { status, header, json } = await predict(gw, imageForm('file', [{ name: 'a.jpg', data: image }]));
    expect(status).toBe(200);
    const body = json as { predictionId: string; label: string; confidence: number; modelVersion: string };
    expect(body.predictionId).toMatch(UUID);
    expect(header).toBe(body.predictionId);
    await eventually(async () => (await logEntries(gw)).some((entry) => entry.id === body.predictionId));
    const entry = (await logEntries(gw)).find((each) => each.id === body.predictionId)!;
    expect(entry.v).toBe(body.modelVersion);
    expect(entry.top).toHaveLength(3);
    expect(entry.top[0]).toEqual([body.label, expect.closeTo(body.confidence, 5)]);
    expect(entry.top[0]![1]).toBeGreaterThanOrEqual(entry.top[1]![1]);
    expect({ fmt: entry.fmt, w: entry.w, h: entry.h }).toEqual({ fmt: 'jpeg', w: 48, h: 48 });
    expect(entry.ms).toBeGreaterThan(0);
    for (const value of [...entry.mean, ...entry.std]) expect(value).toBeGreaterThanOrEqual(0);
    expect(entry.mean.some((value) => value > 0)).toBe(true);
    // Privacy default: the input is not kept.
    expect(entry.img).toBeUndefined();
    const stored = await gw.storage.redis.exists(
      RedisKeys.predictionInput(gw.gateway.config.QUEUE_PREFIX, entry.id),
    );
    expect(stored).toBe(0);
  });

  test('when several images are classified, then each result has its own id, listed in order in the header', async () => {
    const images = await Promise.all(
      [0, 1, 2].map(async (i) => ({ name: `${i}.png`, data: await syntheticImage(i, i) })),
    );
    const { status, header, json } = await predict(gw, imageForm('files', images));
    expect(status).toBe(200);
    const ids = (json as { results: { predictionId: string }[] }).results.map(
      (result) => result.predictionId,
    );
    expect(new Set(ids).size).toBe(3);
    expect(header).toBe(ids.join(','));
    await eventually(async () => {
      const logged = new Set((await logEntries(gw)).map((entry) => entry.id));
      return ids.every((id) => logged.has(id));
    });
    const entries = (await logEntries(gw)).filter((entry) => ids.includes(entry.id));
    expect(entries.map((entry) => [entry.fmt, entry.w])).toEqual([
      ['png', 32],
      ['png', 32],
      ['png', 32],
    ]);
  });
});

describe('prediction log, sampled and with inputs kept', () => {
  test('when the sample rate is 0, then answers still carry ids but nothing is logged', async () => {
    const gw = await startTestGateway({
      env: { QUEUE_PREFIX: `test-${randomUUID()}`, PREDICTION_LOG_SAMPLE_RATE: '0' },
    });
    try {
      await eventually(() => gw.gateway.pool.modelVersion !== undefined);
      const { status, json } = await predict(
        gw,
        imageForm('file', [{ name: 'a.png', data: await syntheticImage(1, 1) }]),
      );
      expect(status).toBe(200);
      expect((json as { predictionId: string }).predictionId).toMatch(UUID);
      await gw.gateway.predictionLog.flush();
      expect(await logEntries(gw)).toEqual([]);
    } finally {
      await cleanUp(gw);
      await gw.stop();
    }
  });

  test('when PREDICTION_STORE_IMAGES is on, then the 32x32 input is kept with an expiry', async () => {
    const gw = await startTestGateway({
      env: {
        QUEUE_PREFIX: `test-${randomUUID()}`,
        PREDICTION_STORE_IMAGES: 'true',
        PREDICTION_LOG_RETENTION_HOURS: '2',
      },
    });
    try {
      await eventually(() => gw.gateway.pool.modelVersion !== undefined);
      const { json } = await predict(
        gw,
        imageForm('file', [{ name: 'a.png', data: await syntheticImage(1, 1) }]),
      );
      const id = (json as { predictionId: string }).predictionId;
      await eventually(async () =>
        (await logEntries(gw)).some((entry) => entry.id === id && entry.img === true),
      );
      const key = RedisKeys.predictionInput(gw.gateway.config.QUEUE_PREFIX, id);
      expect((await gw.storage.redis.getBuffer(key))?.length).toBe(32 * 32 * 3);
      const ttl = await gw.storage.redis.ttl(key);
      expect(ttl).toBeGreaterThan(3600);
      expect(ttl).toBeLessThanOrEqual(7200);
    } finally {
      await cleanUp(gw);
      await gw.stop();
    }
  });
});

describe('prediction log writer', () => {
  test('when Redis does not answer, then recording returns at once and the entries are counted as dropped', async () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: `test-${randomUUID()}` });
    const metrics = new GatewayMetrics();
    const log = new PredictionLog(config, metrics, createLogger('test', { level: 'silent' }));
    try {
      const started = performance.now();
      log.record(
        Array.from({ length: 100 }, () => ({
          id: randomUUID(),
          modelVersion: 'v1',
          probabilities: new Float32Array(10).fill(0.1),
          pixels: new Uint8Array(3072),
          latencyMs: 1,
        })),
      );
      const recordMs = performance.now() - started;
      // Generous: recording is in-memory work only, whatever Redis does.
      expect(recordMs).toBeLessThan(250);
      await log.flush();
      const dropped = (await metrics.predictionLogDropped.get()).values[0]?.value;
      expect(dropped).toBe(100);
    } finally {
      await log.stop();
    }
  });
});
