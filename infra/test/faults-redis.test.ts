// Redis stopped and started again while the gateway serves predictions and a trainer works: real
// processes on a private redis-server (append-only file on), never the shared one.
import { afterEach, describe, expect, test } from 'vitest';
import { buildClassFolderZip } from '../../services/core/test/fixtures.js';
import {
  postRetrain,
  predictImage,
  readiness,
  sleep,
  startFaultStack,
  startPredictLoad,
  tally,
  waitForJobStatus,
  waitForReadiness,
  type FaultStack,
  type Readiness,
} from './fault-helpers.js';

const OUTAGE_MS = 3000;

let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('Redis restarted', () => {
  test('when Redis stops for a few seconds under predict load, then every prediction succeeds, /ready reports redis failed then ok, and a queued retrain job survives and completes', async () => {
    stack = await startFaultStack();
    const t0 = Date.now();
    const step = (what: string) => console.info(`[faults] redis +${Date.now() - t0} ms: ${what}`);
    const [{ url }, trainer] = await Promise.all([stack.startGateway(), stack.startTrainer()]);
    await waitForReadiness(url, (ready) => ready.httpStatus === 200, 30_000);
    step('gateway and trainer up');

    // A long job keeps the trainer busy, so the second one is still queued when Redis goes away.
    const busyId = await postRetrain(url, (await buildClassFolderZip({ perClass: 6 })).zip, 4);
    await waitForJobStatus(url, busyId, 60_000, (job) => job.progress?.phase === 'training');
    const queuedId = await postRetrain(url, (await buildClassFolderZip({ perClass: 3 })).zip, 1);
    expect((await waitForJobStatus(url, queuedId, 5000, () => true)).state).toBe('queued');

    step('one job training, one queued');
    const load = startPredictLoad(url, await predictImage(), { clients: 4 });
    await sleep(500);
    expect((await waitForJobStatus(url, queuedId, 5000, () => true)).state).toBe('queued');
    const outageStart = Date.now();
    await stack.stopRedis();
    const duringOutage: Readiness[] = [];
    while (Date.now() - outageStart < OUTAGE_MS - 500) {
      duringOutage.push(await readiness(url));
      await sleep(300);
    }
    // Job status lives in Redis: the route answers with an error meanwhile, it does not hang.
    const jobDuringOutage = await fetch(`${url}/jobs/${queuedId}`, { signal: AbortSignal.timeout(5000) });
    await sleep(OUTAGE_MS - (Date.now() - outageStart));
    await stack.startRedis();
    const redisBack = Date.now();
    step('Redis restarted');
    const ready = await waitForReadiness(url, (answer) => answer.httpStatus === 200, 20_000);
    const readyAfterMs = Date.now() - redisBack;
    await sleep(1000);
    const outcomes = await load.stop();

    const all = tally(outcomes);
    const inOutage = tally(outcomes.filter((o) => o.startedAt >= outageStart && o.startedAt < redisBack));
    expect(all.failed, JSON.stringify(all.failed.slice(0, 5))).toEqual([]);
    expect(inOutage.total).toBeGreaterThan(0);
    expect(new Set(outcomes.map((o) => o.modelVersion))).toEqual(new Set(['v1']));

    expect(duringOutage.length).toBeGreaterThan(0);
    for (const answer of duringOutage) {
      expect(answer.httpStatus).toBe(503);
      expect(answer.status).toBe('degraded');
      expect(answer.checks.redis).toBe('failed');
      expect(answer.checks.model).toBe('ok');
      expect(answer.reasons.some((reason) => reason.startsWith('redis: '))).toBe(true);
    }
    expect(ready).toMatchObject({ status: 'ready', checks: { redis: 'ok', s3: 'ok', model: 'ok' } });

    expect(jobDuringOutage.status).toBeGreaterThanOrEqual(500);
    const busy = await waitForJobStatus(url, busyId, 120_000);
    const busyDoneMs = Date.now() - redisBack;
    step('busy job done');
    const queued = await waitForJobStatus(url, queuedId, 60_000);
    const queuedDoneAfterMs = Date.now() - redisBack;
    expect(busy.state, busy.failedReason ?? '').toBe('completed');
    expect(queued.state, queued.failedReason ?? '').toBe('completed');
    expect(queued.result?.version).toMatch(/^v\d+$/);
    // The trainer lived through the outage: the same process finished both jobs.
    expect((await fetch(trainer.healthUrl)).status).toBe(200);

    console.info(
      `[faults] redis: ${all.total} predictions (${inOutage.total} started during the ${OUTAGE_MS} ms outage), ` +
        `${all.failed.length} failed; /ready 503 degraded x${duringOutage.length} during the outage, ` +
        `200 again ${readyAfterMs} ms after Redis restarted; GET /jobs/:id ${jobDuringOutage.status} during it; ` +
        `busy job ${busy.state} ${busyDoneMs} ms after Redis restarted, ` +
        `queued job ${queuedId} ${queued.state} ${queuedDoneAfterMs} ms after Redis restarted`,
    );
  }, 180_000);
});
