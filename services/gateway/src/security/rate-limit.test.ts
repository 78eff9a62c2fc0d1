// The rate limit while its Redis cannot be reached: requests are still served (counted in memory),
// the limit still holds per process, and the outage is logged once, not once per request; when a
// Redis comes back, counting returns to it. Uses a private redis-server, never the shared one.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, RedisKeys } from '@visionops/core';
import { startRedisServer, type RedisServer } from '@visionops/infra/redis-server';
import { startSwitchableProxy, type SwitchableProxy, until } from '@visionops/testkit';
import { errorHandler } from '../error-handler.js';
import { requestContext } from '../request-context.js';
import { rateLimit } from './rate-limit.js';

const OUTAGE_WARNING = 'rate limit store unavailable';
const BACK_IN_REDIS = 'counted in Redis again';

const dataDir = mkdtempSync(join(tmpdir(), 'visionops-rate-limit-redis-'));
let redisServer: RedisServer;
// The limiter reaches Redis through this proxy only. Switched off, it cuts every connection while
// its port stays ours: an outage without giving the port up for something else to take.
let proxy: SwitchableProxy;

beforeAll(async () => {
  redisServer = await startRedisServer({
    dataDir,
    port: 0,
    logger: createLogger('rate-limit-redis', { level: 'silent' }),
  });
  proxy = await startSwitchableProxy(redisServer.url);
  proxy.up = false;
});
afterAll(async () => {
  await proxy?.close();
  await redisServer?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface LimitedApp {
  url: string;
  /** The limiter's own Redis client, as the gateway holds one. */
  redis: Redis;
  /** Its counter key for requests from 127.0.0.1. */
  key: string;
  logLines: string[];
  close(): Promise<void>;
}

const apps: LimitedApp[] = [];
afterEach(async () => {
  proxy.up = false;
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/**
 * An app with one limited route, its own limiter, Redis client, log and key prefix, so a test sees
 * only its own counts. `reconnectMs`: the client's wait between reconnection attempts;
 * `redisAnswerMs`: the limiter's wait for Redis (its default when omitted).
 */
async function startLimitedApp(
  points: number,
  reconnectMs: number,
  redisAnswerMs?: number,
): Promise<LimitedApp> {
  const logLines: string[] = [];
  const logger = createLogger('rate-limit-test', {
    level: 'info',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const { hostname, port } = new URL(proxy.url);
  const redis = new Redis({
    host: hostname,
    port: Number(port),
    maxRetriesPerRequest: 1,
    retryStrategy: () => reconnectMs,
  });
  // The outage is what is under test; ioredis would otherwise print each failed attempt.
  redis.on('error', () => undefined);
  const queuePrefix = `test-${randomUUID()}`;
  const app = express();
  app.use(requestContext(logger));
  app.post(
    '/limited',
    rateLimit({ name: 'test', points, windowSeconds: 60, redis, queuePrefix, logger, redisAnswerMs }),
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  app.use(errorHandler);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const limited: LimitedApp = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    redis,
    key: `${RedisKeys.rateLimit(queuePrefix, 'test')}:127.0.0.1`,
    logLines,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
  apps.push(limited);
  return limited;
}

/** One POST; its timeout is a deadline, not a measurement: a request that hangs fails the test. */
async function post(app: LimitedApp): Promise<Response> {
  return fetch(`${app.url}/limited`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
}

const count = (app: LimitedApp, text: string) => app.logLines.filter((line) => line.includes(text)).length;

describe('rate limit without Redis', () => {
  test('when Redis is unreachable, then requests are served, limited in memory, and the outage is logged once', async () => {
    // Reconnecting only once a minute: the test is over before the client tries again.
    const app = await startLimitedApp(5, 60_000);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await post(app);
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      } else {
        await response.arrayBuffer();
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(count(app, OUTAGE_WARNING)).toBe(1);
  });
});

describe('rate limit when Redis comes and goes', () => {
  test('when Redis becomes reachable, then requests are counted in it; when it goes again, memory counts on from where the last outage left off', async () => {
    const app = await startLimitedApp(3, 100);
    const probe = new Redis(redisServer.url);
    try {
      // First outage: two requests counted in memory.
      expect([(await post(app)).status, (await post(app)).status]).toEqual([200, 200]);
      expect(count(app, OUTAGE_WARNING)).toBe(1);

      proxy.up = true;
      await until('the limiter connected to Redis', 15_000, () =>
        app.redis.status === 'ready' ? true : undefined,
      );
      expect((await post(app)).status).toBe(200);
      expect(Number(await probe.get(app.key))).toBe(1);
      expect(count(app, BACK_IN_REDIS)).toBe(1);

      proxy.up = false;
      await until('the limiter noticing the outage', 15_000, () =>
        app.redis.status === 'ready' ? undefined : true,
      );
      // Memory still holds the first outage's 2 of 3 points: one more is served, then 429. Never
      // a 5xx.
      expect([(await post(app)).status, (await post(app)).status]).toEqual([200, 429]);
      expect(count(app, OUTAGE_WARNING)).toBe(2);
      // Not counted in Redis while it was out of reach.
      expect(Number(await probe.get(app.key))).toBe(1);
    } finally {
      probe.disconnect();
    }
  });
});

describe('rate limit far from and near the limit', () => {
  test('when a client goes from far from its limit to past it, then the limit holds exactly, the headers count down, and every request is counted in Redis', async () => {
    // Exact counts need every verdict from Redis: a slow answer on a busy machine must not fall
    // back to memory here (that fallback has tests of its own above).
    const app = await startLimitedApp(100, 100, 10_000);
    proxy.up = true;
    await until('the limiter connected to Redis', 15_000, () =>
      app.redis.status === 'ready' ? true : undefined,
    );
    const probe = new Redis(redisServer.url);
    try {
      const statuses: number[] = [];
      const remaining: number[] = [];
      for (let i = 0; i < 130; i++) {
        const response = await post(app);
        statuses.push(response.status);
        remaining.push(Number(response.headers.get('ratelimit-remaining')));
        await response.arrayBuffer();
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(100);
      expect(statuses.slice(100)).toEqual(new Array<number>(30).fill(429));
      // The headers count down by one per admitted request, on either path.
      expect(remaining.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
      // Requests admitted without waiting were still counted in Redis, in the background.
      await until('every request counted in Redis', 10_000, async () =>
        Number(await probe.get(app.key)) === 130 ? true : undefined,
      );
    } finally {
      probe.disconnect();
    }
  });
});
