// The rate limit while its Redis cannot be reached: requests are still served (counted in memory),
// the limit still holds per process, and the outage is logged once, not once per request; when a
// Redis comes back, counting returns to it. Uses a private redis-server, never the shared one.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, RedisKeys } from '@visionops/core';
import { startRedisServer } from '../../../../infra/src/redis-server.js';
import { errorHandler } from '../error-handler.js';
import { requestContext } from '../request-context.js';
import { rateLimit } from './rate-limit.js';

const logLines: string[] = [];
const logger = createLogger('rate-limit-test', {
  level: 'info',
  destination: { write: (line: string) => void logLines.push(line) },
});
let redis: Redis;
let server: Server;
let url: string;
let port: number;
const dataDir = mkdtempSync(join(tmpdir(), 'visionops-rate-limit-redis-'));

/** A port on which nothing listens: bound, then released. */
async function deadPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  port = await deadPort();
  redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const app = express();
  app.use(requestContext(logger));
  app.post(
    '/limited',
    rateLimit({ name: 'test', points: 5, windowSeconds: 60, redis, queuePrefix: 'prefix', logger }),
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  app.use(errorHandler);
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('rate limit without Redis', () => {
  test('when Redis is unreachable, then requests are served quickly, limited in memory, and the outage is logged once', async () => {
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 7; i++) {
      const response = await fetch(`${url}/limited`, { method: 'POST' });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      } else {
        await response.arrayBuffer();
      }
    }
    // Not one request waited for Redis's reconnection attempts.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const outages = logLines.filter((line) => line.includes('rate limit store unavailable'));
    expect(outages).toHaveLength(1);
  });
});

describe('rate limit when Redis comes and goes', () => {
  test('when a Redis starts on the port, then requests are counted in it; when it stops, they are served from memory again', async () => {
    const privateRedis = await startRedisServer({ dataDir, port, logger });
    try {
      const key = `${RedisKeys.rateLimit('prefix', 'test')}:127.0.0.1`;
      const probe = new Redis(privateRedis.url);
      try {
        // Wait for the limiter's client to reconnect, then every request is counted in Redis.
        await waitUntil(() => redis.status === 'ready');
        const response = await fetch(`${url}/limited`, { method: 'POST' });
        expect(response.status).toBe(200);
        expect(Number(await probe.get(key))).toBe(1);
        expect(logLines.filter((line) => line.includes('counted in Redis again'))).toHaveLength(1);
      } finally {
        probe.disconnect();
      }
    } finally {
      await privateRedis.stop();
    }
    const warnings = logLines.filter((line) => line.includes('rate limit store unavailable')).length;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/limited`, { method: 'POST' })).status);
    // Served, never a 5xx; memory still remembers the 5 requests of the first outage, so 429.
    expect(statuses.every((status) => status === 429)).toBe(true);
    expect(logLines.filter((line) => line.includes('rate limit store unavailable'))).toHaveLength(
      warnings + 1,
    );
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
