// The whole local stack as `npm start` runs it: private Redis, embedded S3, gateway and trainer
// as real child processes, up and down again.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '@visionops/core';
import { freePort } from '../src/free-port.js';
import { isAlive } from './is-alive.js';
import { startEmbeddedS3 } from '../src/embedded-s3.js';
import { pingRedis, startRedisServer } from '../src/redis-server.js';
import { createS3Client } from '../src/s3-bucket.js';
import { StackError } from '../src/stack-error.js';
import { startStack, type Stack } from '../src/start-stack.js';

const logger = createLogger('test', { level: 'silent' });

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status;
}

describe('startStack', () => {
  let dataDir: string;
  let stack: Stack | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'visionops-stack-'));
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<Stack> {
    stack = await startStack({
      // A Redis URL nothing answers on, and no S3_ENDPOINT: the stack brings its own of both.
      env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, S3_ENDPOINT: '', LOG_LEVEL: 'warn' },
      dataDir,
      gatewayPort: 0,
      trainerHealthPort: 0,
      s3Port: 0,
      logger,
      stopGraceMs: 5000,
      healthTimeoutMs: 45_000,
    });
    return stack;
  }

  test('when started without Redis or S3, then gateway and trainer answer /health and stop leaves no process', async () => {
    const running = await start();
    expect(running.started).toEqual({ redis: true, s3: true });
    expect(await status(`${running.gatewayUrl}/health`)).toBe(200);
    expect(await status(running.trainerHealthUrl!)).toBe(200);
    expect(await status(`${running.gatewayUrl}/no-such-route`)).toBe(404);
    expect(await pingRedis(running.redisUrl)).toBe(true);
    const s3 = createS3Client({
      endpoint: running.s3Endpoint,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      region: 'us-east-1',
    });
    expect(await s3.bucketExists(running.bucket)).toBe(true);
    expect(running.processes.map((child) => child.name).sort()).toEqual([
      'gateway',
      'redis-server',
      'trainer',
    ]);

    await running.stop();
    expect(await running.finished).toEqual({ reason: 'stopped' });
    for (const child of running.processes) expect(isAlive(child.pid), child.name).toBe(false);
    expect(await pingRedis(running.redisUrl, 500)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${new URL(running.s3Endpoint).port}/`)).rejects.toThrow();
  });

  test('when a service dies on its own, then the rest is stopped and the stack reports the crash', async () => {
    const running = await start();
    const trainer = running.processes.find((child) => child.name === 'trainer')!;
    process.kill(trainer.pid, 'SIGKILL');

    const end = await running.finished;
    expect(end).toMatchObject({ reason: 'crashed', exit: { name: 'trainer', signal: 'SIGKILL' } });
    for (const child of running.processes) expect(isAlive(child.pid), child.name).toBe(false);
  });

  test('when REDIS_URL answers and S3_ENDPOINT is set, then the stack uses both and starts neither', async () => {
    const redis = await startRedisServer({ dataDir: join(dataDir, 'own-redis'), port: 0, logger });
    const s3 = await startEmbeddedS3({
      directory: join(dataDir, 'own-s3'),
      port: 0,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
    });
    try {
      stack = await startStack({
        env: { REDIS_URL: redis.url, S3_ENDPOINT: s3.endpoint, S3_BUCKET: 'elsewhere' },
        dataDir,
        services: [],
        logger,
      });
      expect(stack.started).toEqual({ redis: false, s3: false });
      expect(stack.redisUrl).toBe(redis.url);
      expect(stack.s3Endpoint).toBe(s3.endpoint);
      expect(stack.gatewayUrl).toBeUndefined();
      const client = createS3Client({
        endpoint: s3.endpoint,
        accessKey: 'S3RVER',
        secretKey: 'S3RVER',
        region: 'us-east-1',
      });
      expect(await client.bucketExists('elsewhere')).toBe(true);
      await stack.stop();
      expect(await pingRedis(redis.url)).toBe(true);
    } finally {
      await redis.stop();
      await s3.stop();
    }
  });

  test('when the gateway port is taken, then start-up fails naming PORT and stops what it started', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as { port: number }).port;
    const redisPort = await freePort();
    try {
      const attempt = startStack({
        env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
        dataDir,
        gatewayPort: takenPort,
        redisPort,
        s3Port: 0,
        logger,
      });
      await expect(attempt).rejects.toBeInstanceOf(StackError);
      await expect(attempt).rejects.toThrow(new RegExp(`port ${takenPort} .* in use.*set PORT`));
      expect(await pingRedis(`redis://127.0.0.1:${redisPort}`, 500)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
