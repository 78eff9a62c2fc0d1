// Redis stopped and started again while the gateway serves predictions and a trainer works: real
// processes on a private redis-server (append-only file on), never the shared one.
import { afterEach, describe, expect, test } from 'vitest';
import { buildClassFolderZip, LONG_TRAINING } from '@visionops/testkit';
import {
  endOutage,
  expectDegraded,
  getJson,
  jobStatus,
  loadRunning,
  postRetrain,
  predictImage,
  readiness,
  sleep,
  startFaultStack,
  startPredictLoad,
  waitForJobView,
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
    await waitForReadiness(url, (ready) => ready.status === 'ready', 30_000);
    step('gateway and trainer up');

    // A long job keeps the trainer (one job at a time) busy, so the second one waits in the queue.
    const busyZip = (await buildClassFolderZip({ perClass: LONG_TRAINING.perClass })).zip;
    const busyId = await postRetrain(url, busyZip, LONG_TRAINING.epochs);
    await waitForJobView(url, busyId, 60_000, (job) => job.state === 'active');
    const queuedId = await postRetrain(url, (await buildClassFolderZip({ perClass: 3 })).zip, 1);

    const load = startPredictLoad(url, await predictImage(), { clients: 4 });
    await loadRunning(load, 8);
    // The states the outage begins with, read just before it: what happens to them is the test.
    const [busyBefore, queuedBefore] = await Promise.all([jobStatus(url, busyId), jobStatus(url, queuedId)]);
    const outageStart = Date.now();
    await stack.stopRedis();
    step(`Redis stopped; busy job ${busyBefore.state}, second job ${queuedBefore.state}`);
    const duringOutage: Readiness[] = [];
    // At least one answer, however long stopping Redis took on a loaded machine.
    while (duringOutage.length === 0 || Date.now() - outageStart < OUTAGE_MS - 500) {
      duringOutage.push(await readiness(url));
      await sleep(300);
    }
    // Job status lives in Redis: the route answers 503 meanwhile, it does not hang or fail with a 500.
    const jobDuringOutage = await getJson<{ error?: { code?: string } }>(`${url}/jobs/${queuedId}`);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
    await stack.startRedis();
    const redisBack = Date.now();
    step('Redis restarted');
    const { ready, readyAfterMs, all, inOutage } = await endOutage(url, load, outageStart, redisBack);

    expect(busyBefore.state).toBe('active');
    expect(queuedBefore.state).toBe('queued');
    expectDegraded(duringOutage, 'redis');
    expect(ready).toMatchObject({ status: 'ready', checks: { redis: 'ok', s3: 'ok', model: 'ok' } });

    expect(jobDuringOutage.status).toBe(503);
    expect(jobDuringOutage.body.error?.code).toBe('retraining_unavailable');
    const busy = await waitForJobView(url, busyId, 120_000);
    const busyDoneMs = Date.now() - redisBack;
    step('busy job done');
    const queued = await waitForJobView(url, queuedId, 60_000);
    const queuedDoneAfterMs = Date.now() - redisBack;
    expect(busy.state, busy.failedReason ?? '').toBe('completed');
    expect(queued.state, queued.failedReason ?? '').toBe('completed');
    expect(queued.result?.version).toMatch(/^v\d+$/);
    // The second job waited through the outage: queued when it began, and Redis was away until
    // redisBack, so a start after outageStart is a start after Redis came back.
    expect(Date.parse(queued.startedAt ?? '')).toBeGreaterThanOrEqual(outageStart);
    // The trainer lived through the outage: the same process finished both jobs.
    expect((await fetch(trainer.healthUrl)).status).toBe(200);

    console.info(
      `[faults] redis: ${all.total} predictions (${inOutage.total} started during the ${OUTAGE_MS} ms outage), ` +
        `${all.failed.length} failed; /ready 200 degraded x${duringOutage.length} during the outage, ` +
        `ready again ${readyAfterMs} ms after Redis restarted; GET /jobs/:id ${jobDuringOutage.status} during it; ` +
        `busy job ${busy.state} ${busyDoneMs} ms after Redis restarted, ` +
        `queued job ${queuedId} ${queued.state} ${queuedDoneAfterMs} ms after Redis restarted`,
    );
  }, 180_000);
});
