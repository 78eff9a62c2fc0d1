// The stack's Redis: the configured one when it answers, else a private redis-server.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '@visionops/core';
import { freePort } from '../src/free-port.js';
import { isAlive } from './is-alive.js';
import { pingRedis, startRedisServer, useOrStartRedis, type RedisServer } from '../src/redis-server.js';
import { StackError } from '../src/stack-error.js';

const logger = createLogger('test', { level: 'silent' });

describe('redis for the stack', () => {
  let dataDir: string;
  const servers: RedisServer[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'visionops-redis-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when REDIS_URL does not answer, then a private redis-server is started, answers and stops on SHUTDOWN', async () => {
    const closedUrl = `redis://127.0.0.1:${await freePort()}`;
    expect(await pingRedis(closedUrl, 500)).toBe(false);

    const chosen = await useOrStartRedis(closedUrl, { dataDir, port: 0, logger });
    expect(chosen.server).toBeDefined();
    servers.push(chosen.server!);
    expect(chosen.url).not.toBe(closedUrl);
    expect(await pingRedis(chosen.url)).toBe(true);
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);

    await chosen.server!.stop();
    expect(await pingRedis(chosen.url, 500)).toBe(false);
    expect(isAlive(chosen.server!.pid)).toBe(false);
  });

  test('when REDIS_URL answers, then it is used and nothing is started', async () => {
    const running = await startRedisServer({ dataDir, port: 0, logger });
    servers.push(running);

    const chosen = await useOrStartRedis(running.url, { dataDir: join(dataDir, 'unused'), logger });
    expect(chosen).toEqual({ url: running.url, server: undefined });
  });

  test('when REDIS_URL does not answer and redis-server is not on PATH, then the error says how to get one', async () => {
    const closedUrl = `redis://127.0.0.1:${await freePort()}`;
    const attempt = useOrStartRedis(closedUrl, { dataDir, logger, pathEnv: dataDir });
    await expect(attempt).rejects.toBeInstanceOf(StackError);
    await expect(attempt).rejects.toThrow(
      /apt-get install redis-server[\s\S]*brew install redis[\s\S]*docker compose up redis/,
    );
  });
});
