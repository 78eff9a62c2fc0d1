// The parsed log against the real stream: whatever was added, trimmed or replaced between two
// calls, a call answers what reading its window from Redis whole answers, and reads only the
// entries added since the last call.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LABELS, loadConfig } from '@visionops/core';
import { KEEP_ASKED_MS, ParsedPredictionLog, readLogWindow } from './parsed-prediction-log.js';
import type { PredictionRecord } from './prediction-record.js';

const redis = new Redis(loadConfig({ ...process.env }).REDIS_URL);
let key: string;
beforeEach(() => {
  key = `test-${randomUUID()}:predictions`;
});
afterEach(async () => {
  await redis.del(key);
});
afterAll(async () => {
  await redis.quit();
});

const T0 = 1_700_000_000_000;

function record(t: number, version: string, n: number): PredictionRecord {
  return {
    id: randomUUID(),
    t,
    v: version,
    top: [[LABELS[n % 10]!, 0.5 + (n % 5) / 10]],
    ms: 5,
    mean: [0.4, 0.5, 0.6],
    std: [0.2, 0.2, 0.2],
  };
}

/** Adds entries with ids at `ms` (seq 0, 1, ...); `bad` ones are not valid records. */
async function add(ms: number, values: (PredictionRecord | string)[]): Promise<void> {
  const pipeline = redis.pipeline();
  values.forEach((value, seq) =>
    pipeline.xadd(key, `${ms}-${seq}`, 'd', typeof value === 'string' ? value : JSON.stringify(value)),
  );
  await pipeline.exec();
}

/** What reading the window whole from the stream answers (the reference). */
function readWhole(version: string, from: number, to: number): Promise<PredictionRecord[]> {
  return readLogWindow(redis, key, version, from, to);
}

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (state * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32;
}

describe('ParsedPredictionLog', () => {
  test('when entries are added between calls, then a call reads only the new ones and answers what a whole read answers', async () => {
    const log = new ParsedPredictionLog(redis, key);
    await add(T0, [record(T0, 'v1', 0), record(T0, 'v2', 1), 'not json', '{"id":"incomplete"}']);
    await add(T0 + 1000, [record(T0 + 1000, 'v1', 2)]);
    const now = T0 + 2000;

    expect(await log.records('v1', T0, now, now)).toEqual(await readWhole('v1', T0, now));
    expect(log.entriesRead).toBe(5);
    // Nothing new: nothing read.
    expect(await log.records('v1', T0, now, now)).toHaveLength(2);
    expect(log.entriesRead).toBe(5);

    await add(T0 + 3000, [record(T0 + 3000, 'v1', 3), record(T0 + 3000, 'v1', 4)]);
    const later = T0 + 4000;
    expect(await log.records('v1', T0, later, later)).toEqual(await readWhole('v1', T0, later));
    expect(log.entriesRead).toBe(7);
    // A narrower window of what is held: answered from memory.
    expect(await log.records('v1', T0 + 500, T0 + 3000, later)).toEqual(
      await readWhole('v1', T0 + 500, T0 + 3000),
    );
    expect(log.entriesRead).toBe(7);
  });

  test('when a wider window is asked for after a narrow one, then the older entries are read once', async () => {
    const log = new ParsedPredictionLog(redis, key);
    for (let i = 0; i < 10; i++) await add(T0 + i * 1000, [record(T0 + i * 1000, 'v1', i)]);
    const now = T0 + 10_000;
    expect(await log.records('v1', T0 + 8000, now, now)).toHaveLength(2);
    expect(log.entriesRead).toBe(2);
    expect(await log.records('v1', T0, now, now)).toEqual(await readWhole('v1', T0, now));
    expect(log.entriesRead).toBe(10);
  });

  test('when the stream is trimmed, replaced or deleted, then the records it no longer holds are gone', async () => {
    const log = new ParsedPredictionLog(redis, key);
    for (let i = 0; i < 6; i++) await add(T0 + i * 1000, [record(T0 + i * 1000, 'v1', i)]);
    const now = T0 + 10_000;
    expect(await log.records('v1', T0, now, now)).toHaveLength(6);

    await redis.xtrim(key, 'MINID', T0 + 3000);
    expect(await log.records('v1', T0, now, now)).toEqual(await readWhole('v1', T0, now));
    expect(await log.records('v1', T0, now, now)).toHaveLength(3);

    // Replaced by a stream whose entries all come before the last one read.
    await redis.del(key);
    await add(T0 + 1500, [record(T0 + 1500, 'v1', 7)]);
    expect(await log.records('v1', T0, now, now)).toEqual(await readWhole('v1', T0, now));

    await redis.del(key);
    expect(await log.records('v1', T0, now, now)).toEqual([]);
  });

  test('when windows are no longer asked for, then their records are let go, and read again if asked', async () => {
    const log = new ParsedPredictionLog(redis, key);
    for (let i = 0; i < 10; i++) await add(T0 + i * 1000, [record(T0 + i * 1000, 'v1', i)]);
    const now = T0 + 10_000;
    await log.records('v1', T0, now, now);
    expect(log.size).toBe(10);
    // A narrower window asked for meanwhile: the wider one, asked for just now, keeps all.
    await log.records('v1', now - 2000, now, now);
    expect(log.size).toBe(10);
    // The wide span last asked for longer ago than KEEP_ASKED_MS: only the narrow one is held.
    const much = now + KEEP_ASKED_MS + 1000;
    await log.records('v1', much - 2000, much, much);
    expect(log.size).toBe(0);
    const readBefore = log.entriesRead;
    expect(await log.records('v1', T0, much, much)).toEqual(await readWhole('v1', T0, much));
    expect(log.entriesRead - readBefore).toBe(10);
  });

  test('when calls overlap, then each answers what a whole read answers', async () => {
    const log = new ParsedPredictionLog(redis, key);
    for (let i = 0; i < 20; i++) await add(T0 + i * 100, [record(T0 + i * 100, i % 2 ? 'v1' : 'v2', i)]);
    const now = T0 + 5000;
    const answers = await Promise.all([
      log.records('v1', T0, now, now),
      log.records('v2', T0 + 500, now, now),
      log.records('v1', T0 + 1000, T0 + 1500, now),
    ]);
    expect(answers).toEqual([
      await readWhole('v1', T0, now),
      await readWhole('v2', T0 + 500, now),
      await readWhole('v1', T0 + 1000, T0 + 1500),
    ]);
    expect(log.entriesRead).toBe(20);
  });

  test.each([1, 2, 3, 4, 5])(
    'when adds, trims and windows come in a random order (seed %i), then every call answers what a whole read answers',
    async (seed) => {
      const next = random(seed);
      const log = new ParsedPredictionLog(redis, key);
      let clock = T0;
      let n = 0;
      for (let step = 0; step < 60; step++) {
        const action = next();
        if (action < 0.5) {
          clock += 1 + Math.floor(next() * 2000);
          const values = Array.from({ length: 1 + Math.floor(next() * 30) }, () => {
            n++;
            return next() < 0.05 ? 'broken' : record(clock, next() < 0.7 ? 'v1' : 'v2', n);
          });
          await add(clock, values);
        } else if (action < 0.6) {
          await redis.xtrim(key, 'MINID', clock - Math.floor(next() * 20_000));
        } else {
          const now = clock + Math.floor(next() * 1000);
          const from = now - Math.floor(next() * 40_000);
          const to = next() < 0.8 ? now : from + Math.floor(next() * (now - from));
          const version = next() < 0.7 ? 'v1' : 'v2';
          expect(await log.records(version, from, to, now)).toEqual(await readWhole(version, from, to));
        }
      }
    },
  );
});
