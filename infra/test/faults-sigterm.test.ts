// SIGTERM to a gateway under load and to a trainer mid-job, as an orchestrator sends it: real
// processes on a private Redis and an embedded S3.
import { hostname } from 'node:os';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { RedisKeys } from '@visionops/core';
import type { RetrainProgress } from '@visionops/core/jobs';
import { buildClassFolderZip } from '../../services/core/test/fixtures.js';
import {
  dropQueue,
  enqueueUpload,
  openQueue,
  waitForJob,
  type RetrainQueue,
} from '../../services/trainer/test/retrain-fixtures.js';
import {
  predictImage,
  sleep,
  startFaultStack,
  startPredictLoad,
  tally,
  waitForReadiness,
  type FaultStack,
} from './fault-helpers.js';

let stack: FaultStack | undefined;
let queue: RetrainQueue | undefined;
afterEach(async () => {
  if (queue) await dropQueue(queue);
  queue = undefined;
  await stack?.stop();
  stack = undefined;
});

/** Whether a new TCP connection to `port` is accepted (false: refused). */
function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A POST /predict whose body arrives in two halves: `send()` writes the second half. Resolves
 * `answer` with the status, or 'error' when the connection is cut.
 */
function slowPredict(gatewayUrl: string, image: Buffer) {
  const boundary = 'visionops-faults-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\n` +
      'Content-Type: image/png\r\n\r\n',
  );
  const body = Buffer.concat([head, image, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const half = Math.floor(body.length / 2);
  const { hostname: host, port } = new URL(gatewayUrl);
  const req = request({
    host,
    port,
    path: '/predict',
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(body.length),
    },
  });
  const answer = new Promise<number | 'error'>((resolve) => {
    req.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    req.once('error', () => resolve('error'));
  });
  req.write(body.subarray(0, half));
  return { answer, send: () => req.end(body.subarray(half)) };
}

describe('SIGTERM', () => {
  test('when the gateway gets SIGTERM under load, then it refuses new connections, answers the requests in flight with 200 and exits 0', async () => {
    stack = await startFaultStack();
    const { url, service } = await stack.startGateway();
    await waitForReadiness(url, (ready) => ready.httpStatus === 200, 30_000);
    const image = await predictImage();
    const port = Number(new URL(url).port);

    const load = startPredictLoad(url, image, { clients: 4, files: 16 });
    const slow = slowPredict(url, image);
    await sleep(1500);
    const signalledAt = Date.now();
    process.kill(service.pid, 'SIGTERM');
    await sleep(300);
    // Still running (the slow request is not answered yet), and no longer taking connections.
    const exitedEarly = await Promise.race([service.exited.then(() => true), sleep(0).then(() => false)]);
    const acceptsNew = await connects(port);
    slow.send();
    const slowStatus = await slow.answer;
    const exit = await Promise.race([service.exited, sleep(15_000).then(() => undefined)]);
    const exitMs = Date.now() - signalledAt;
    const outcomes = await load.stop();

    expect(exitedEarly).toBe(false);
    expect(acceptsNew).toBe(false);
    expect(slowStatus).toBe(200);
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Under 5 s, Node's keep-alive timeout: the load's kept-alive connections were closed after
    // their answers instead of carrying further requests until the 8 s grace ran out.
    expect(exitMs).toBeLessThan(5000);
    // Requests already sent when the signal came (started 100 ms or more before it, so the gateway
    // had read them) and not yet answered were in flight: every one of them got its answer.
    const inFlight = outcomes.filter((o) => o.startedAt <= signalledAt - 100 && o.endedAt > signalledAt);
    const before = tally(outcomes.filter((o) => o.startedAt <= signalledAt - 100));
    expect(before.failed, JSON.stringify(before.failed.slice(0, 5))).toEqual([]);
    const after = outcomes.filter((o) => o.startedAt > signalledAt);
    expect(after.filter((o) => o.status === 200 && o.startedAt > signalledAt + exitMs)).toEqual([]);

    console.info(
      `[faults] gateway SIGTERM: ${before.total} requests of 16 images before it, 0 failed, ` +
        `${inFlight.length} of them in flight at the signal (plus the half-sent one: ${slowStatus}); ` +
        `new connection refused 300 ms after; exit code ${exit?.code} ${exitMs} ms after the signal; ` +
        `requests started after the signal: ${after.length} (${after.filter((o) => o.status === 200).length} answered 200 on open connections, ` +
        `${after.filter((o) => o.status === 'error').length} refused or cut)`,
    );
  }, 120_000);

  test('when a trainer gets SIGTERM mid-job, then it hands the job back to the queue without counting the attempt, deletes its heartbeat and exits 0, and a second trainer completes the job', async () => {
    stack = await startFaultStack();
    queue = openQueue(stack.config);
    const first = await stack.startTrainer();
    const { zip } = await buildClassFolderZip({ perClass: 4 });
    const job = await enqueueUpload(
      { store: stack.store } as Parameters<typeof enqueueUpload>[0],
      queue,
      zip,
      {
        epochs: 3,
      },
    );
    await waitForJob(queue, job.id!, 60_000, (current) => {
      const progress = current.progress as RetrainProgress | number;
      return typeof progress === 'object' && progress.phase === 'training' && (progress.epoch ?? 0) >= 1;
    });
    const redis = new Redis(stack.redisUrl);
    const heartbeatKey = RedisKeys.trainerHeartbeat(
      stack.config.QUEUE_PREFIX,
      `${hostname()}:${first.service.pid}`,
    );
    try {
      expect(JSON.parse((await redis.get(heartbeatKey)) ?? '{}')).toMatchObject({
        busy: true,
        jobId: job.id,
      });

      const signalledAt = Date.now();
      process.kill(first.service.pid, 'SIGTERM');
      const { state: releasedState, job: released } = await waitForJob(
        queue,
        job.id!,
        10_000,
        (_current, state) => state !== 'active',
      );
      const releasedMs = Date.now() - signalledAt;
      const exit = await Promise.race([first.service.exited, sleep(15_000).then(() => undefined)]);
      const exitMs = Date.now() - signalledAt;

      expect(releasedState).toBe('waiting');
      expect(released.attemptsMade).toBe(0);
      expect(released.failedReason ?? '').toBe('');
      expect(released.stacktrace ?? []).toEqual([]);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exitMs).toBeLessThan(8000);
      // Beats come every 3 s with a 10 s TTL: a key still there now would be one left behind.
      expect(await redis.exists(heartbeatKey)).toBe(0);

      const second = await stack.startTrainer();
      const { job: done, state } = await waitForJob(queue, job.id!, 90_000);
      const doneMs = Date.now() - signalledAt;
      expect(state, done.failedReason).toBe('completed');
      // One attempt in all: the one the second trainer completed.
      expect(done.attemptsMade).toBe(1);
      expect(done.returnvalue.version).toMatch(/^v\d+$/);
      expect(done.processedBy).toBe(`${hostname()}:${second.service.pid}`);

      console.info(
        `[faults] trainer SIGTERM: job ${job.id} back in "${releasedState}" ${releasedMs} ms after the signal ` +
          `(attempts made ${released.attemptsMade}), exit code ${exit?.code} after ${exitMs} ms, heartbeat deleted; ` +
          `completed by the second trainer ${doneMs} ms after the signal (attempts made ${done.attemptsMade})`,
      );
    } finally {
      redis.disconnect();
    }
  }, 150_000);
});
