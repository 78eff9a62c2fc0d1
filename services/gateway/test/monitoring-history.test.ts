// Drift over time and thumbnails of low-confidence predictions: GET /monitoring/history cuts the
// shared prediction log into buckets, each measured against the version's stored reference, and
// GET /monitoring/predictions/:id/input.png serves a kept input to the admin only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeImage, LABELS, RedisKeys } from '@visionops/core';
import { buildDriftReference, putDriftReference, type MonitoredPrediction } from '@visionops/core/monitoring';
import { eventually, syntheticImage } from '@visionops/testkit';
import type { DriftHistory, MonitoringReport } from '../src/monitoring/monitoring-schemas.js';
import type { PredictionRecord } from '../src/monitoring/prediction-record.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'monitoring-history-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** A version with a stored reference and seeded log entries; never in service. */
const SEEDED = 'v77';

let gw: TestGateway;

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (state * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32;
}

/** Colourful traffic like the reference's, or the same made grey (equal channel means). */
function traffic(n: number, seed: number, grey = false): MonitoredPrediction[] {
  const next = random(seed);
  return Array.from({ length: n }, () => {
    const [r, g, b] = [0.2 + 0.6 * next(), 0.2 + 0.6 * next(), 0.2 + 0.6 * next()];
    const mean: [number, number, number] = grey
      ? [(r + g + b) / 3, (r + g + b) / 3, (r + g + b) / 3]
      : [r, g, b];
    const spread = 0.1 + 0.2 * next();
    return {
      classIndex: Math.floor(next() * 10),
      confidence: 0.3 + 0.7 * next(),
      mean,
      std: [spread, spread, spread],
    };
  });
}

async function seedLog(at: number, predictions: MonitoredPrediction[]): Promise<void> {
  const key = RedisKeys.predictionLog(gw.gateway.config.QUEUE_PREFIX);
  const pipeline = gw.storage.redis.pipeline();
  predictions.forEach((prediction, i) => {
    const t = at + i;
    const record: PredictionRecord = {
      id: randomUUID(),
      t,
      v: SEEDED,
      top: [[LABELS[prediction.classIndex]!, prediction.confidence]],
      ms: 5,
      mean: prediction.mean,
      std: prediction.std,
    };
    pipeline.xadd(key, `${t}-${i}`, 'd', JSON.stringify(record));
  });
  await pipeline.exec();
}

beforeAll(async () => {
  gw = await startTestGateway({
    env: {
      ADMIN_TOKEN,
      QUEUE_PREFIX: `test-${randomUUID()}`,
      MONITORING_INTERVAL_MS: '0',
      // Every prediction counts as low-confidence here, so each one is listed.
      MONITORING_LOW_CONFIDENCE: '1',
    },
  });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  await putDriftReference(
    gw.storage.store,
    buildDriftReference(traffic(1000, 1), { version: SEEDED, source: 'synthetic reference' }),
  );
});

afterAll(async () => {
  await gw.gateway.predictionLog.flush();
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

async function history(query: string) {
  const response = await fetch(`${gw.url}/monitoring/history?${query}`);
  return {
    status: response.status,
    json: (await response.json()) as DriftHistory & { error?: { message: string } },
  };
}

describe('GET /monitoring/history', () => {
  test('when the log has normal, grey, sparse and no traffic in successive minutes, then each bucket has its scores and alert state', async () => {
    const minute = 60_000;
    const start = Date.now() - 10 * minute;
    // Minute buckets of the last 10 minutes; entries in the middle of theirs.
    await seedLog(start + 5 * minute + 20_000, traffic(120, 2));
    await seedLog(start + 6 * minute + 20_000, traffic(120, 3, true));
    await seedLog(start + 7 * minute + 20_000, traffic(10, 4, true));

    const { status, json } = await history(`version=${SEEDED}&window=10m&step=1m`);
    expect(status).toBe(200);
    console.info(
      'drift history buckets (predictions, alert, scores):',
      JSON.stringify(json.buckets.map((each) => [each.predictions, each.alert, each.scores])),
    );
    expect(json.stepSeconds).toBe(60);
    expect(json.buckets).toHaveLength(10);
    expect(json.drift).toMatchObject({
      reference: { source: 'synthetic reference', n: 1000 },
      alertThreshold: 0.25,
    });
    const [normal, grey, sparse] = [json.buckets[5]!, json.buckets[6]!, json.buckets[7]!];
    expect(normal).toMatchObject({ predictions: 120, enough: true, alert: false, fired: [] });
    expect(normal.scores?.colour).toBeLessThan(0.25);
    expect(grey).toMatchObject({ predictions: 120, enough: true, alert: true });
    expect(grey.fired).toContain('colour');
    expect(grey.scores?.colour).toBeGreaterThan(1);
    // Too few to judge: scores, but no alert.
    expect(sparse).toMatchObject({ predictions: 10, enough: false, alert: false, fired: [] });
    expect(sparse.scores?.colour).toBeGreaterThan(0.25);
    for (const empty of [...json.buckets.slice(0, 5), ...json.buckets.slice(8)]) {
      expect(empty).toMatchObject({ predictions: 0, alert: false, scores: null });
    }
    expect(Date.parse(json.buckets[1]!.from) - Date.parse(json.buckets[0]!.from)).toBe(minute);
  });

  test('when no step is given, then the window is cut into 20 buckets', async () => {
    const { status, json } = await history(`version=${SEEDED}&window=1h`);
    expect(status).toBe(200);
    expect(json.stepSeconds).toBe(180);
    expect(json.buckets).toHaveLength(20);
  });

  test('when the step would make too many buckets or is not a duration, then 400 says what to send', async () => {
    const many = await history('window=7d&step=1m');
    expect(many.status).toBe(400);
    expect(many.json.error?.message).toMatch(/10080 buckets; at most 240/);
    const bad = await history('window=1h&step=often');
    expect(bad.status).toBe(400);
    expect(bad.json.error?.message).toMatch(/step: a duration/);
  });
});

describe('thumbnails of low-confidence predictions', () => {
  test('when a prediction is inside its feedback window, then the admin gets its 32x32 input as a PNG, and others are refused', async () => {
    const since = new Date().toISOString();
    const image = await syntheticImage(3, 11);
    const response = await fetch(`${gw.url}/predict`, {
      method: 'POST',
      body: imageForm('file', [{ name: 'a.png', data: image }]),
    });
    const { predictionId } = (await response.json()) as { predictionId: string };
    await gw.gateway.predictionLog.flush();

    const report = (await (
      await fetch(`${gw.url}/monitoring?since=${encodeURIComponent(since)}`)
    ).json()) as MonitoringReport;
    const listed = report.recentLowConfidence.find((each) => each.predictionId === predictionId);
    expect(listed).toMatchObject({
      stored: false,
      thumbnailUrl: `/monitoring/predictions/${predictionId}/input.png`,
    });
    expect(report.thumbnailPolicy).toMatch(/privacy default.*15-minute feedback window/);

    expect((await fetch(`${gw.url}${listed!.thumbnailUrl}`)).status).toBe(401);
    const png = await fetch(`${gw.url}${listed!.thumbnailUrl}`, { headers: admin });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('private, no-store');
    const bytes = Buffer.from(await png.arrayBuffer());
    // A 32x32 PNG (IHDR width and height), lossless: decoding it gives exactly what the model saw.
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([32, 32]);
    expect(Buffer.compare(Buffer.from(await decodeImage(bytes)), Buffer.from(await decodeImage(image)))).toBe(
      0,
    );
  });

  test('when no input is kept (seeded entries, privacy default), then the list has no thumbnail and the route says why', async () => {
    const report = (await (
      await fetch(`${gw.url}/monitoring?version=${SEEDED}&window=15m`)
    ).json()) as MonitoringReport;
    expect(report.recentLowConfidence.length).toBeGreaterThan(0);
    expect(report.recentLowConfidence.every((each) => each.thumbnailUrl === null)).toBe(true);
    const missing = await fetch(
      `${gw.url}/monitoring/predictions/${report.recentLowConfidence[0]!.predictionId}/input.png`,
      {
        headers: admin,
      },
    );
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('input_not_kept');
    expect(body.error.message).toMatch(/PREDICTION_STORE_IMAGES=false/);
  });

  test('when the id is not a predictionId, then 400 names the field', async () => {
    const response = await fetch(`${gw.url}/monitoring/predictions/..%2F..%2Fetc/input.png`, {
      headers: admin,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/predictionId/);
  });
});
