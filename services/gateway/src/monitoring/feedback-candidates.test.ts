// Feedback candidates in the real Redis: predictionIds carry their time, candidates of one minute
// share a hash that expires after the feedback window, and ids of no minute find nothing.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '@visionops/core';
import { FeedbackCandidates, newPredictionId, predictionIdTime } from './feedback-candidates.js';

let redis: Redis;
const prefix = `test-${randomUUID()}`;

beforeAll(() => {
  redis = new Redis(loadConfig({ ...process.env }).REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function write(candidates: FeedbackCandidates, entries: [string, Buffer][]): Promise<void> {
  const pipeline = redis.pipeline();
  candidates.add(
    pipeline,
    new Map(entries.map(([id, pixels]) => [id, { modelVersion: 'v3', label: 'ship', pixels }])),
  );
  await pipeline.exec();
}

describe('predictionId', () => {
  test('is a version-7 UUID that gives back the time it was issued', () => {
    const at = Date.UTC(2026, 11, 7, 10, 30, 15, 123);
    const id = newPredictionId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(predictionIdTime(id)).toBe(at);
    expect(newPredictionId(at)).not.toBe(id);
  });

  test('an id of another kind has no time', () => {
    expect(predictionIdTime(randomUUID())).toBeUndefined();
    expect(predictionIdTime('not-an-id')).toBeUndefined();
  });
});

describe('FeedbackCandidates', () => {
  test('when candidates are written, then each is found by its id with its version, label and input', async () => {
    const candidates = new FeedbackCandidates(prefix, 15);
    const first = newPredictionId();
    const second = newPredictionId();
    await write(candidates, [
      [first, Buffer.alloc(3072, 7)],
      [second, Buffer.alloc(0)],
    ]);
    const found = await candidates.get(redis, first);
    expect(found).toMatchObject({ modelVersion: 'v3', label: 'ship' });
    expect(found?.pixels).toEqual(Buffer.alloc(3072, 7));
    expect((await candidates.get(redis, second))?.pixels).toHaveLength(0);
    expect(await candidates.get(redis, newPredictionId())).toBeUndefined();
    expect(await candidates.get(redis, randomUUID())).toBeUndefined();
  });

  test('a minute of candidates expires once the window of its last prediction has passed', async () => {
    const candidates = new FeedbackCandidates(prefix, 15);
    const at = Date.now();
    const id = newPredictionId(at);
    await write(candidates, [[id, Buffer.alloc(10)]]);
    const minute = Math.floor(at / 60_000);
    const ttl = await redis.pttl(`${prefix}:feedback-candidates:${minute}`);
    const expected = (minute + 1) * 60_000 + 15 * 60_000 - Date.now();
    expect(ttl).toBeGreaterThan(expected - 5_000);
    expect(ttl).toBeLessThanOrEqual(expected + 5_000);
  });

  test('a prediction older than the window is not found even while its minute is still kept', async () => {
    const candidates = new FeedbackCandidates(prefix, 1);
    const id = newPredictionId(Date.now() - 61_000);
    await write(candidates, [[id, Buffer.alloc(10)]]);
    expect(await candidates.get(redis, id)).toBeUndefined();
    expect(await new FeedbackCandidates(prefix, 5).get(redis, id)).toBeDefined();
  });

  test('with the window at 0, nothing is written', async () => {
    const id = newPredictionId();
    await write(new FeedbackCandidates(prefix, 0), [[id, Buffer.alloc(10)]]);
    expect(await new FeedbackCandidates(prefix, 5).get(redis, id)).toBeUndefined();
  });
});
