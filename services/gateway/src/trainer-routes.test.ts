// Live trainers as GET /trainers reports them: a trainer's heartbeat appears, says which job it
// runs, and is gone once the trainer stops.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, test } from 'vitest';
import { createLogger, RedisKeys } from '@visionops/core';
import { HEARTBEAT_TTL_MS, startHeartbeat } from '@visionops/core/jobs';
import { liveTrainers } from './trainer-routes.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `test-${randomUUID()}`;

afterAll(async () => {
  await redis.quit();
});

describe('live trainers', () => {
  test('when a trainer beats, then it is listed with its job, and once it stops it is not', async () => {
    expect(await liveTrainers(redis, prefix)).toEqual([]);
    const heartbeat = startHeartbeat(redis, prefix, createLogger('test', { level: 'silent' }));
    await expect.poll(async () => (await liveTrainers(redis, prefix)).length).toBe(1);
    const [trainer] = await liveTrainers(redis, prefix);
    expect(trainer).toMatchObject({ id: `${hostname()}:${process.pid}`, busy: false, jobId: null });
    const ttl = await redis.pttl(RedisKeys.trainerHeartbeat(prefix, trainer!.id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(HEARTBEAT_TTL_MS);

    heartbeat.setJob('42');
    await expect
      .poll(async () => (await liveTrainers(redis, prefix))[0])
      .toMatchObject({ busy: true, jobId: '42' });

    await heartbeat.stop();
    expect(await liveTrainers(redis, prefix)).toEqual([]);
  });
});
