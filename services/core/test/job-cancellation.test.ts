// Cancellation against the real Redis: a request and a removed job's view live under keys of their
// own, a new job under the same id starts clean, and a damaged stored view is ignored.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { JobView } from '../src/contract/jobs.js';
import { CancellationKeys, cancelledJobId, JobCancellation } from '../src/jobs/job-cancellation.js';

let redis: Redis;
let subscriber: Redis;
const prefix = `test-cancel-${randomUUID().slice(0, 8)}`;

function queuedView(id: string, createdAt: string): JobView {
  return {
    id,
    kind: 'retrain',
    state: 'cancelled',
    cancelRequested: false,
    epochs: 3,
    promote: 'gate',
    upload: { sha256: 'a'.repeat(64), bytes: 10, fileName: 'x.zip' },
    import: null,
    progress: null,
    result: null,
    failedReason: null,
    attempts: { made: 0, max: 3 },
    createdAt,
    startedAt: null,
    finishedAt: createdAt,
    statusUrl: `/jobs/${id}`,
  };
}

beforeAll(() => {
  const url = loadConfig({ ...process.env }).REDIS_URL;
  redis = new Redis(url);
  subscriber = new Redis(url);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all([redis.quit(), subscriber.quit()]);
});

describe('job cancellation', () => {
  test('when a running job is cancelled, then the request is kept and announced, and no removed view appears', async () => {
    const cancellation = new JobCancellation(redis, prefix);
    const heard = new Promise<string | undefined>((resolve) =>
      subscriber.once('message', (_channel: string, message: string) => resolve(cancelledJobId(message))),
    );
    await subscriber.subscribe(cancellation.channel);
    expect(await cancellation.isRequested('job-1')).toBe(false);
    await cancellation.request('job-1');
    expect(await heard).toBe('job-1');
    expect(await cancellation.isRequested('job-1')).toBe(true);
    expect(await cancellation.removedView('job-1')).toBeUndefined();
    expect(await redis.ttl(CancellationKeys.request(prefix, 'job-1'))).toBeGreaterThan(0);
  });

  test('when queued jobs are removed, then their views list newest first, bounded, and a request alone is not a view', async () => {
    const cancellation = new JobCancellation(redis, `${prefix}:list`, 2);
    await cancellation.recordRemoved(queuedView('a', '2026-01-01T00:00:00.000Z'));
    await cancellation.recordRemoved(queuedView('b', '2026-01-02T00:00:00.000Z'));
    await cancellation.recordRemoved(queuedView('c', '2026-01-03T00:00:00.000Z'));
    await cancellation.request('d');
    expect((await cancellation.removedViews(10)).map((view) => view.id)).toEqual(['c', 'b']);
    expect(await cancellation.removedView('c')).toEqual(queuedView('c', '2026-01-03T00:00:00.000Z'));
    expect(await cancellation.isRequested('c')).toBe(false);
  });

  test('when an id is forgotten, then a new job under it carries no old request or view', async () => {
    const cancellation = new JobCancellation(redis, `${prefix}:forget`);
    await cancellation.request('e');
    await cancellation.recordRemoved(queuedView('e', '2026-01-01T00:00:00.000Z'));
    await cancellation.forget('e');
    expect(await cancellation.isRequested('e')).toBe(false);
    expect(await cancellation.removedView('e')).toBeUndefined();
    expect(await cancellation.removedViews(10)).toEqual([]);
  });

  test('when a stored view is damaged or a message malformed, then they are ignored', async () => {
    const cancellation = new JobCancellation(redis, `${prefix}:damaged`);
    await redis.set(CancellationKeys.removedView(`${prefix}:damaged`, 'f'), JSON.stringify({ id: 'f' }));
    expect(await cancellation.removedView('f')).toBeUndefined();
    expect(cancelledJobId('not json')).toBeUndefined();
    expect(cancelledJobId(JSON.stringify({ jobId: 7 }))).toBeUndefined();
  });
});
