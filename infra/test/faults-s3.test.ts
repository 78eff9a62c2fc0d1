// S3 stopped while the gateway serves predictions and a trainer is half-way through a job: real
// processes; the embedded S3 server is stopped and started again on the same port with its data.
import { afterEach, describe, expect, test } from 'vitest';
import { buildClassFolderZip, LONG_TRAINING } from '@visionops/testkit';
import {
  endOutage,
  expectDegraded,
  listModelKeys,
  postRetrain,
  predictImage,
  productionVersion,
  readiness,
  sleep,
  startFaultStack,
  startPredictLoad,
  waitForJobView,
  waitForReadiness,
  type FaultStack,
  type Readiness,
} from './fault-helpers.js';

let stack: FaultStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe('S3 unreachable', () => {
  test('when S3 stops under predict load and mid-job, then predictions go on, /ready is degraded naming s3, and the job fails after its retries saying S3 could not be reached, publishing nothing', async () => {
    stack = await startFaultStack({ RETRAIN_BACKOFF_MS: '300' });
    const t0 = Date.now();
    const step = (what: string) => console.info(`[faults] s3 +${Date.now() - t0} ms: ${what}`);
    const [{ url }] = await Promise.all([stack.startGateway(), stack.startTrainer()]);
    await waitForReadiness(url, (ready) => ready.status === 'ready', 30_000);
    const keysBefore = await listModelKeys(stack.store);
    step('gateway and trainer up');

    // Still training when S3 stops, however fast the engine: the attempt in hand fails publishing.
    const zip = (await buildClassFolderZip({ perClass: LONG_TRAINING.perClass })).zip;
    const jobId = await postRetrain(url, zip, LONG_TRAINING.epochs);
    await waitForJobView(url, jobId, 60_000, (job) => job.progress?.phase === 'training');

    step('job training');
    const load = startPredictLoad(url, await predictImage(), { clients: 4 });
    const outageStart = Date.now();
    await stack.stopS3();
    const duringOutage: Readiness[] = [];
    for (let i = 0; i < 6; i++) {
      duringOutage.push(await readiness(url));
      await sleep(300);
    }
    step('S3 stopped; /ready polled');
    // The attempt in hand fails when it publishes, the retries when they download the upload.
    const failed = await waitForJobView(url, jobId, 90_000);
    const failedAfterMs = Date.now() - outageStart;

    step(`job ${failed.state}`);
    await stack.startS3();
    const s3Back = Date.now();
    const { ready, readyAfterMs, all, inOutage } = await endOutage(url, load, outageStart, s3Back);

    expectDegraded(duringOutage, 's3');
    for (const answer of duringOutage) {
      expect(answer.checks.redis).toBe('ok');
      // A kept-alive socket to the stopped server may first fail as reset; new ones are refused.
      expect(answer.reasons.find((reason) => reason.startsWith('s3: '))).toMatch(
        /ECONNREFUSED|ECONNRESET|socket hang up/,
      );
    }
    expect(duringOutage.at(-1)!.reasons.find((reason) => reason.startsWith('s3: '))).toMatch(/ECONNREFUSED/);
    expect(ready).toMatchObject({ status: 'ready', checks: { s3: 'ok' }, reasons: [] });

    expect(failed.state).toBe('failed');
    expect(failed.attempts).toEqual({ made: 3, max: 3 });
    expect(failed.failedReason).toMatch(
      /^S3 could not be reached at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    // Nothing half-published: the same model files as before, production untouched.
    expect(await listModelKeys(stack.store)).toEqual(keysBefore);
    expect(await productionVersion(stack.store)).toBe('v1');

    console.info(
      `[faults] s3: ${all.total} predictions (${inOutage.total} started while S3 was down), ` +
        `${all.failed.length} failed; /ready 200 degraded x${duringOutage.length}; job ${jobId} failed ` +
        `after ${failed.attempts.made} attempts ${failedAfterMs} ms into the outage ("${failed.failedReason}"); ` +
        `/ready ready again ${readyAfterMs} ms after S3 restarted`,
    );
  }, 180_000);
});
