// The stack of the fault tests, with every part under the test's control: a private redis-server
// and an embedded S3 that can be stopped and started again on the same port with the same data, a
// tiny production model, and the gateway and trainers as real child processes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { createLogger, loadConfig, S3Keys, type Config } from '@visionops/core';
import { createS3Client, ModelRegistry, ObjectStore } from '@visionops/core/registry';
import {
  buildTestModel,
  seedTrainerDatasets,
  syntheticImage,
  until,
  useCpuBackend,
} from '@visionops/testkit';
import { startEmbeddedS3, type EmbeddedS3 } from '../src/embedded-s3.js';
import { freePort } from '../src/free-port.js';
import { startRedisServer, type RedisServer } from '../src/redis-server.js';
import { spawnService, type ServiceProcess } from '../src/service-process.js';
import type { JobView } from '@visionops/core/contract';

export const testLogger = createLogger('test', { level: 'silent' });

const CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' };

export interface FaultStack {
  /** Settings of the stack (Redis, S3, bucket, queue prefix) as the services get them. */
  config: Config;
  env: NodeJS.ProcessEnv;
  store: ObjectStore;
  redisUrl: string;
  s3Endpoint: string;
  /** SHUTDOWN of the private redis-server (it writes its append-only file first). */
  stopRedis(): Promise<void>;
  /** The redis-server again, on the same port and data directory. */
  startRedis(): Promise<void>;
  stopS3(): Promise<void>;
  startS3(): Promise<void>;
  startGateway(env?: NodeJS.ProcessEnv): Promise<{ url: string; service: ServiceProcess }>;
  startTrainer(env?: NodeJS.ProcessEnv): Promise<{ healthUrl: string; service: ServiceProcess }>;
  /** Stops the services still running (SIGKILL after 5 s), Redis and S3, and deletes the data. */
  stop(): Promise<void>;
}

/**
 * Starts a private Redis (append-only file on) and an embedded S3 with a fresh bucket holding a
 * width-4 production model (v1) and synthetic trainer datasets; no service yet.
 */
export async function startFaultStack(extraEnv: NodeJS.ProcessEnv = {}): Promise<FaultStack> {
  const dir = mkdtempSync(join(tmpdir(), 'visionops-faults-'));
  const redisDir = join(dir, 'redis');
  const s3Dir = join(dir, 's3');
  let redis: RedisServer | undefined = await startRedisServer({
    dataDir: redisDir,
    port: 0,
    logger: testLogger,
  });
  const redisPort = Number(new URL(redis.url).port);
  let s3: EmbeddedS3 | undefined = await startEmbeddedS3({ directory: s3Dir, port: 0, ...CREDENTIALS });
  const s3Port = Number(new URL(s3.endpoint).port);
  const services: ServiceProcess[] = [];

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redis.url,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: CREDENTIALS.accessKey,
    S3_SECRET_KEY: CREDENTIALS.secretKey,
    S3_BUCKET: `faults-${randomUUID().slice(0, 8)}`,
    QUEUE_PREFIX: `test-${randomUUID()}`,
    DATA_DIR: join(dir, 'data'),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    LOG_PRETTY: 'false',
    ADMIN_TOKEN: '',
    MODEL_POLL_INTERVAL_MS: '1000',
    RETRAIN_BACKOFF_MS: '300',
    REPLAY_SAMPLE_SIZE: '100',
    REPLAY_RATIO: '1',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const store = new ObjectStore(createS3Client(config), config.S3_BUCKET);

  const stop = async () => {
    await Promise.all(services.map((service) => service.stop(5000)));
    await redis?.stop();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await store.ensureBucket(config.S3_REGION);
    await useCpuBackend();
    const client = new Redis(redis.url);
    try {
      const registry = new ModelRegistry({ store, redis: client, logger: testLogger });
      const { files, card } = await buildTestModel(1);
      const published = await registry.publish(files, card);
      await registry.promote(published.version, 'test seed');
    } finally {
      await client.quit();
    }
    await seedTrainerDatasets({ store } as Parameters<typeof seedTrainerDatasets>[0]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    config,
    env,
    store,
    redisUrl: redis.url,
    s3Endpoint: s3.endpoint,
    async stopRedis() {
      await redis?.stop();
      redis = undefined;
    },
    async startRedis() {
      redis = await startRedisServer({ dataDir: redisDir, port: redisPort, logger: testLogger });
    },
    async stopS3() {
      await s3?.stop();
      s3 = undefined;
    },
    async startS3() {
      s3 = await startEmbeddedS3({ directory: s3Dir, port: s3Port, ...CREDENTIALS });
    },
    async startGateway(more = {}) {
      const port = await freePort();
      const service = spawnService({
        name: 'gateway',
        script: 'services/gateway/src/main.ts',
        env: { ...env, PORT: String(port), ...more },
        logger: testLogger,
      });
      services.push(service);
      const url = `http://127.0.0.1:${port}`;
      await service.waitHealthy(`${url}/health`, 60_000);
      return { url, service };
    },
    async startTrainer(more = {}) {
      const port = await freePort();
      const service = spawnService({
        name: 'trainer',
        script: 'services/trainer/src/main.ts',
        env: { ...env, TRAINER_HEALTH_PORT: String(port), ...more },
        logger: testLogger,
      });
      services.push(service);
      const healthUrl = `http://127.0.0.1:${port}/health`;
      await service.waitHealthy(healthUrl, 60_000);
      return { healthUrl, service };
    },
    stop,
  };
}

export interface Readiness {
  httpStatus: number;
  status: string;
  checks: Record<string, string>;
  reasons: string[];
  modelVersion: string | null;
}

export async function readiness(gatewayUrl: string): Promise<Readiness> {
  const response = await fetch(`${gatewayUrl}/ready`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as Omit<Readiness, 'httpStatus'>;
  return { httpStatus: response.status, ...body };
}

/** Polls until `check` holds for the gateway's /ready answer; returns that answer. */
export async function waitForReadiness(
  gatewayUrl: string,
  check: (ready: Readiness) => boolean,
  timeoutMs: number,
): Promise<Readiness> {
  let last: Readiness | undefined;
  return until(
    '/ready reaching the expected state',
    timeoutMs,
    async () => {
      last = await readiness(gatewayUrl);
      return check(last) ? last : undefined;
    },
    200,
    () => JSON.stringify(last),
  );
}

export interface PredictOutcome {
  startedAt: number;
  endedAt: number;
  status: number | 'error';
  error?: string;
  modelVersion?: string;
}

export interface PredictLoad {
  outcomes: PredictOutcome[];
  /** Stops the clients and resolves once each has finished its request in hand. */
  stop(): Promise<PredictOutcome[]>;
}

/** An image the model accepts: a synthetic 32x32 PNG. */
export async function predictImage(): Promise<Buffer> {
  return syntheticImage(3, 0);
}

/** One POST /predict with `files` images; a network failure is an outcome too, never a throw. */
export async function predictOnce(gatewayUrl: string, image: Buffer, files = 1): Promise<PredictOutcome> {
  const startedAt = Date.now();
  const form = new FormData();
  const field = files === 1 ? 'file' : 'files';
  for (let i = 0; i < files; i++) form.append(field, new Blob([image], { type: 'image/png' }), `${i}.png`);
  try {
    const response = await fetch(`${gatewayUrl}/predict`, {
      method: 'POST',
      body: form,
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { modelVersion?: string };
    return {
      startedAt,
      endedAt: Date.now(),
      status: response.status,
      ...(body.modelVersion ? { modelVersion: body.modelVersion } : {}),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { startedAt, endedAt: Date.now(), status: 'error', error: cause?.code ?? String(error) };
  }
}

/** `clients` loops of POST /predict, one request at a time each, until stopped. */
export function startPredictLoad(
  gatewayUrl: string,
  image: Buffer,
  { clients = 4, files = 1 }: { clients?: number; files?: number } = {},
): PredictLoad {
  const outcomes: PredictOutcome[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      outcomes.push(await predictOnce(gatewayUrl, image, files));
      // A pause, so the clients do not starve the test's own event loop (S3 may live there).
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/**
 * Resolves once the load has finished `count` more requests than it had when called: proof that
 * the clients and the gateway are past their start-up and busy, without a fixed sleep.
 */
export async function loadRunning(load: PredictLoad, count: number, timeoutMs = 30_000): Promise<void> {
  const target = load.outcomes.length + count;
  await until(`${count} more predictions finished`, timeoutMs, () =>
    load.outcomes.length >= target ? true : undefined,
  );
}

/** Summary of outcomes in a window: how many, how many 200, and the failures. */
export interface Tally {
  total: number;
  ok: number;
  failed: PredictOutcome[];
}

export function tally(outcomes: readonly PredictOutcome[]): Tally {
  const failed = outcomes.filter((outcome) => outcome.status !== 200);
  return { total: outcomes.length, ok: outcomes.length - failed.length, failed };
}

/**
 * Checks the /ready answers taken while `failing` was down: 200 and 'degraded' (the loaded model
 * still serves /predict, so a balancer keeps the replica), naming `failing` in checks and reasons.
 */
export function expectDegraded(answers: readonly Readiness[], failing: 'redis' | 's3'): void {
  expect(answers.length).toBeGreaterThan(0);
  for (const answer of answers) {
    expect(answer.httpStatus).toBe(200);
    expect(answer.status).toBe('degraded');
    expect(answer.checks).toMatchObject({ [failing]: 'failed', model: 'ok' });
    expect(answer.modelVersion).toBe('v1');
    expect(answer.reasons.some((reason) => reason.startsWith(`${failing}: `))).toBe(true);
  }
}

/**
 * Ends an outage that lasted from `outageStart` until `backAt`: waits for /ready to say 'ready'
 * (not just 200, which a degraded gateway answers too), lets the load finish a few predictions
 * after the recovery as well, stops it, and checks that none failed, some ran during the outage,
 * and v1 answered every one sent before the recovery.
 */
export async function endOutage(
  gatewayUrl: string,
  load: PredictLoad,
  outageStart: number,
  backAt: number,
): Promise<{ ready: Readiness; readyAfterMs: number; all: Tally; inOutage: Tally }> {
  const ready = await waitForReadiness(gatewayUrl, (answer) => answer.status === 'ready', 20_000);
  const readyAfterMs = Date.now() - backAt;
  await loadRunning(load, 8);
  const outcomes = await load.stop();
  const all = tally(outcomes);
  const inOutage = tally(outcomes.filter((o) => o.startedAt >= outageStart && o.startedAt < backAt));
  expect(all.failed, JSON.stringify(all.failed.slice(0, 5))).toEqual([]);
  expect(inOutage.total).toBeGreaterThan(0);
  // No version can be promoted while a backend is down; once it is back, a job that finishes may
  // promote its version, and the load may see it.
  const beforeBack = outcomes.filter((o) => o.startedAt < backAt);
  expect(new Set(beforeBack.map((o) => o.modelVersion))).toEqual(new Set(['v1']));
  return { ready, readyAfterMs, all, inOutage };
}

export async function listModelKeys(store: ObjectStore): Promise<string[]> {
  return (await store.list('models/')).map((object) => object.key).sort();
}

export async function productionVersion(store: ObjectStore): Promise<string> {
  return (JSON.parse((await store.get(S3Keys.productionAlias)).body.toString()) as { version: string })
    .version;
}

/** GET `url` and its JSON body; `timeoutMs` bounds a gateway that accepts but never answers. */
export async function getJson<T>(url: string, timeoutMs = 10_000): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: (await response.json()) as T };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POST /retrain with `zip` as the upload; returns the job id. */
export async function postRetrain(gatewayUrl: string, zip: Buffer, epochs: number): Promise<string> {
  const form = new FormData();
  form.append('epochs', String(epochs));
  form.append('file', new Blob([zip], { type: 'application/zip' }), 'faults.zip');
  const response = await fetch(`${gatewayUrl}/retrain`, {
    method: 'POST',
    body: form,
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await response.json()) as { jobId?: string };
  if (response.status !== 202 || !body.jobId) {
    throw new Error(`POST /retrain answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.jobId;
}

/** One GET /jobs/:id: the job as the gateway shows it now. */
export async function jobStatus(gatewayUrl: string, jobId: string): Promise<JobView> {
  const { status, body } = await getJson<JobView>(`${gatewayUrl}/jobs/${jobId}`);
  if (status !== 200) throw new Error(`GET /jobs/${jobId} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Polls GET /jobs/:id until `until` holds (by default: completed, failed or cancelled). */
export async function waitForJobView(
  gatewayUrl: string,
  jobId: string,
  timeoutMs: number,
  reached: (job: JobView) => boolean = (job) => ['completed', 'failed', 'cancelled'].includes(job.state),
): Promise<JobView> {
  let last: JobView | string = 'no answer yet';
  return until(
    `job ${jobId} reaching the expected state`,
    timeoutMs,
    async () => {
      try {
        const { status, body } = await getJson<JobView>(`${gatewayUrl}/jobs/${jobId}`);
        last = status === 200 ? body : `HTTP ${status}`;
        return status === 200 && reached(body) ? body : undefined;
      } catch (error) {
        last = String(error);
        return undefined;
      }
    },
    200,
    () => JSON.stringify(last),
  );
}
