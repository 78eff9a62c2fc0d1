// The whole local stack as `npm start` runs it: private Redis, embedded S3, gateway and trainer
// as real child processes, up and down again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '@visionops/core';
import { freePort } from '../src/free-port.js';
import { isAlive } from './is-alive.js';
import { pingRedis } from '../src/redis-server.js';
import { createS3Client } from '../src/s3-bucket.js';
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
});
