// SIGTERM to a gateway under load and to a trainer mid-job, as an orchestrator sends it: real
// processes on a private Redis and an embedded S3.
import { hostname } from 'node:os';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { RedisKeys } from '@visionops/core';
import type { RetrainProgress } from '@visionops/core/jobs';
import {
  buildClassFolderZip,
  dropQueue,
  enqueueUpload,
  LONG_TRAINING,
  openQueue,
  type RetrainQueue,
  until,
  waitForJob,
} from '@visionops/testkit';
import {
  loadRunning,
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

interface SlowAnswer {
  status: number | 'error';
  /** The answer's Connection header: 'close' when the gateway ends the connection after it. */
  connection: string | undefined;
}

/**
 * A POST /predict whose body arrives in two halves: `send()` writes the second half. While the
 * second half is held back the request is in flight by construction, however fast the gateway is.
 */
function slowPredict(gatewayUrl: string, image: Buffer, name: string, agent: Agent) {
  const boundary = 'visionops-faults-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}.png"\r\n` +
      'Content-Type: image/png\r\n\r\n',
  );
  const body = Buffer.concat([head, image, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const half = Math.floor(body.length / 2);
  const { hostname: host, port } = new URL(gatewayUrl);
  // A kept-alive agent, so a 'close' in the answer is the gateway's doing and not the request's.
  const req = request({
    host,
    port,
    path: '/predict',
    method: 'POST',
    agent,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(body.length),
    },
  });
  const answer = new Promise<SlowAnswer>((resolve) => {
    req.once('response', (response) => {
      response.resume();
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, connection: response.headers.connection }),
      );
    });
    req.once('error', () => resolve({ status: 'error', connection: undefined }));
  });
  req.write(body.subarray(0, half));
  return { answer, send: () => req.end(body.subarray(half)) };
}

describe('SIGTERM', () => {
  test('when the gateway gets SIGTERM under load, then it refuses new connections, answers the requests in flight with 200 and exits 0', async () => {
    stack = await startFaultStack();
    const { url, service } = await stack.startGateway();
    await waitForReadiness(url, (ready) => ready.status === 'ready', 30_000);
    const image = await predictImage();
    const port = Number(new URL(url).port);
    let exited = false;
    void service.exited.then(() => (exited = true));

    const load = startPredictLoad(url, image, { clients: 4, files: 16 });
    await loadRunning(load, 8);
    // Long enough that requests sent over a second before the signal exist (checked below).
    await sleep(1500);
    const agent = new Agent({ keepAlive: true });
    const slow = ['slow-a', 'slow-b', 'slow-c'].map((name) => slowPredict(url, image, name, agent));
    // Requests finished after the halves were written prove that the gateway's event loop went past
    // them, so it had parsed their headers: they are requests in flight, not unread bytes.
    await loadRunning(load, 4);
    const signalledAt = Date.now();
    process.kill(service.pid, 'SIGTERM');
    await until('the gateway refusing new connections', 5000, async () =>
      (await connects(port)) ? undefined : true,
    );
    const refusedAt = Date.now();
    // Refusing while still alive: the half-sent requests hold it until they are answered.
    const exitedBeforeAnswers = exited;
    for (const request of slow) request.send();
    const slowAnswers = await Promise.all(slow.map((request) => request.answer));
    agent.destroy();
    // A generous bound that fails the test rather than hangs it: the gateway's own grace is 8 s.
    const exit = await Promise.race([service.exited, sleep(20_000).then(() => undefined)]);
    const exitMs = Date.now() - signalledAt;
    const outcomes = await load.stop();

    expect(exitedBeforeAnswers).toBe(false);
    expect(slowAnswers).toEqual(slow.map(() => ({ status: 200, connection: 'close' })));
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Sent at least 1 s before the signal, the gateway had read them even on a loaded machine (a
    // request it had not parsed yet may be cut with its idle connection, as Node's close() does):
    // every one of them got a 200, whether answered before the signal or in flight at it. The
    // half-sent requests above are the ones certainly in flight.
    const readBefore = outcomes.filter((o) => o.startedAt <= signalledAt - 1000);
    expect(readBefore.length).toBeGreaterThan(0);
    const inFlight = readBefore.filter((o) => o.endedAt > signalledAt);
    const failedBefore = tally(readBefore).failed;
    expect(failedBefore, JSON.stringify(failedBefore.slice(0, 5))).toEqual([]);
    // Whatever the timing, an HTTP answer is a 200: a request the gateway took is never failed with
    // a 5xx while it stops; one it did not take is refused or cut (status 'error'), never answered.
    const answeredOther = outcomes.filter((o) => o.status !== 200 && o.status !== 'error');
    expect(answeredOther, JSON.stringify(answeredOther.slice(0, 5))).toEqual([]);
    const after = outcomes.filter((o) => o.startedAt > signalledAt);

    console.info(
      `[faults] gateway SIGTERM: ${readBefore.length} requests of 16 images sent before it, 0 failed, ` +
        `${inFlight.length} of them in flight at the signal, plus ${slow.length} half-sent ones (all 200, ` +
        `Connection: close); new connections refused ${refusedAt - signalledAt} ms after the signal; ` +
        `exit code ${exit?.code} ${exitMs} ms after the signal; requests started after the signal: ` +
        `${after.length} (${after.filter((o) => o.status === 200).length} answered 200 on open connections, ` +
        `${after.filter((o) => o.status === 'error').length} refused or cut)`,
    );
  }, 120_000);

  test('when a trainer gets SIGTERM mid-job, then it hands the job back to the queue without counting the attempt, deletes its heartbeat and exits 0, and a second trainer completes the job', async () => {
    stack = await startFaultStack();
    queue = openQueue(stack.config);
    const first = await stack.startTrainer();
    // Long enough that the job is still training when the signal arrives, however fast the engine.
    const { zip } = await buildClassFolderZip({ perClass: LONG_TRAINING.perClass });
    const job = await enqueueUpload(
      { store: stack.store } as Parameters<typeof enqueueUpload>[0],
      queue,
      zip,
      { epochs: LONG_TRAINING.epochs },
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
      // Only a bound on the wait: a stop cut short at the trainer's own 8 s limit exits 1, below.
      const exit = await Promise.race([first.service.exited, sleep(20_000).then(() => undefined)]);
      const exitMs = Date.now() - signalledAt;

      expect(releasedState).toBe('waiting');
      expect(released.attemptsMade).toBe(0);
      expect(released.failedReason ?? '').toBe('');
      expect(released.stacktrace ?? []).toEqual([]);
      // 0 only for a clean stop: the job handed back and the heartbeat deleted within its bound.
      expect(exit).toMatchObject({ code: 0, signal: null });
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

      const epochSeconds = (done.progress as RetrainProgress).history.map((epoch) => epoch.seconds);
      console.info(
        `[faults] trainer SIGTERM: job ${job.id} back in "${releasedState}" ${releasedMs} ms after the signal ` +
          `(attempts made ${released.attemptsMade}), exit code ${exit?.code} after ${exitMs} ms, heartbeat deleted; ` +
          `completed by the second trainer ${doneMs} ms after the signal (attempts made ${done.attemptsMade}); ` +
          `its ${epochSeconds.length} epochs trained in ${epochSeconds.reduce((a, b) => a + b, 0).toFixed(1)} s`,
      );
    } finally {
      redis.disconnect();
    }
  }, 150_000);
});
