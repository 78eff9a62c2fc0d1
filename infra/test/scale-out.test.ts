// Scale-out on one machine: two gateway and two trainer processes against one Redis and one
// embedded S3. A promotion reaches every gateway, two jobs train at once on different trainers,
// and a trainer killed mid-job leaves its job to the other, which publishes it once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, loadConfig, RedisKeys } from '@visionops/core';
import type { JobView, Readiness, TrainerBeat } from '@visionops/core/contract';
import type { ModelCard } from '@visionops/core/model';
import { ModelRegistry, ObjectStore } from '@visionops/core/registry';
import {
  buildClassFolderZip,
  LONG_TRAINING,
  openQueue,
  type RetrainQueue,
  syntheticImage,
  until,
  writeStandInBaseline,
} from '@visionops/testkit';
import { createS3Client } from '../src/s3-bucket.js';
import { startCluster, type Cluster, type ClusterService } from '../src/start-cluster.js';
import { getJson } from './fault-helpers.js';

const ADMIN_TOKEN = 'scale-out-admin-token-0123456789';
// Long enough that a gateway reaching a promotion within the bound below must have had the Redis
// event: the alias poll alone would take up to a minute.
const POLL_INTERVAL_MS = 60_000;
const SWITCH_BOUND_MS = 15_000;
// Short locks so a killed trainer's job is found stalled within seconds; long enough that a busy
// (but living) trainer on a loaded machine still renews its lock in time (4 s was not, at a load
// average of 17 on two cores).
const LOCK_MS = 10_000;
const STALLED_INTERVAL_MS = 2000;

const prefix = `test-${randomUUID()}`;
const bucket = `scale-${randomUUID().slice(0, 8)}`;
let dir: string;
let baselineDir: string;
let cluster: Cluster;
// BullMQ's own view of the jobs: which trainer took each one (processedBy) and when.
let queue: RetrainQueue;
let redis: Redis;

interface ModelsBody {
  production: { version: string } | null;
  versions: (ModelCard & { version: string; training: Record<string, unknown> })[];
}

function report(test: string, figures: Record<string, unknown>): void {
  console.log(`scale-out ${test}: ${JSON.stringify(figures)}`);
}

function gatewayAt(index: number): ClusterService {
  const gateway = cluster.gateways[index];
  if (!gateway) throw new Error(`the cluster has no gateway ${index + 1}`);
  return gateway;
}

async function promote(gateway: ClusterService, version: string): Promise<number> {
  const response = await fetch(`${gateway.url}/models/${version}/promote`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'scale-out test' }),
  });
  await response.body?.cancel();
  return response.status;
}

/** Milliseconds from `since` until the gateway's /ready reports `version` (polled every 50 ms). */
async function switchTime(gateway: ClusterService, version: string, since: number): Promise<number> {
  // Every 50 ms rather than the default 100: this wait is the figure the test reports.
  await until(
    `${gateway.name} serving ${version}`,
    SWITCH_BOUND_MS,
    async () => {
      const { body } = await getJson<Readiness>(`${gateway.url}/ready`);
      return body.modelVersion === version ? true : undefined;
    },
    50,
  );
  return Date.now() - since;
}

async function predictedVersion(gateway: ClusterService): Promise<string | undefined> {
  const image = await syntheticImage(3, 1);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'cat.png');
  const response = await fetch(`${gateway.url}/predict`, { method: 'POST', body: form });
  return ((await response.json()) as { modelVersion?: string }).modelVersion;
}

async function submit(gateway: ClusterService, zip: Buffer, epochs: number): Promise<string> {
  const form = new FormData();
  form.append('epochs', String(epochs));
  form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'slice.zip');
  const response = await fetch(`${gateway.url}/retrain`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: form,
  });
  const body = (await response.json()) as { jobId: string };
  expect(response.status, JSON.stringify(body)).toBe(202);
  return body.jobId;
}

async function finished(gateway: ClusterService, jobId: string, timeoutMs: number): Promise<JobView> {
  return until(`job ${jobId} finishing`, timeoutMs, async () => {
    const { body } = await getJson<JobView>(`${gateway.url}/jobs/${jobId}`);
    return body.state === 'completed' || body.state === 'failed' ? body : undefined;
  });
}

async function versions(gateway: ClusterService): Promise<ModelsBody> {
  return (await getJson<ModelsBody>(`${gateway.url}/models`)).body;
}

beforeAll(async () => {
  const started = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'visionops-scale-'));
  // A width-4 ResNet-9 as v1 and synthetic images throughout: what is under test is how jobs and
  // promotions travel between processes, and small models keep the four processes quick.
  baselineDir = await writeStandInBaseline(dir);
  writeFileSync(join(dir, 'replay.zip'), (await buildClassFolderZip({ perClass: 10, format: 'jpeg' })).zip);
  writeFileSync(join(dir, 'eval.zip'), (await buildClassFolderZip({ perClass: 5, format: 'jpeg' })).zip);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  cluster = await startCluster({
    gateways: 2,
    trainers: 2,
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      S3_ENDPOINT: '',
      S3_BUCKET: bucket,
      QUEUE_PREFIX: prefix,
      ADMIN_TOKEN,
      BASELINE_MODEL_DIR: baselineDir,
      REPLAY_DATA_PATH: join(dir, 'replay.zip'),
      EVAL_DATA_PATH: join(dir, 'eval.zip'),
      REPLAY_SAMPLE_SIZE: '100',
      REPLAY_RATIO: '1',
      TRAIN_THREADS: '1',
      // Always promote when production is still the parent: these tests are about the path.
      PROMOTION_TOLERANCE: '1',
      MODEL_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      RETRAIN_LOCK_MS: String(LOCK_MS),
      RETRAIN_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      RETRAIN_BACKOFF_MS: '300',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
    },
    dataDir: join(dir, 'data'),
    s3Port: 0,
    logger: createLogger('cluster', { level: 'warn' }),
    stopGraceMs: 5000,
    healthTimeoutMs: 90_000,
  });
  const healthyMs = Date.now() - started;
  queue = openQueue(loadConfig({ REDIS_URL: cluster.redisUrl, QUEUE_PREFIX: prefix }));
  redis = new Redis(cluster.redisUrl);
  await Promise.all(
    cluster.gateways.map((gateway) =>
      until(`${gateway.name} ready`, 90_000, async () => {
        // 'ready', not just 200: a degraded gateway (Redis or S3 not answering) answers 200 too.
        const { body } = await getJson<Readiness>(`${gateway.url}/ready`);
        return body.status === 'ready' ? true : undefined;
      }),
    ),
  );
  report('start-up', { msUntilAllHealthy: healthyMs, msUntilGatewaysReady: Date.now() - started });
}, 180_000);

afterAll(async () => {
  await queue?.close();
  await cluster?.stop();
  if (redis) {
    const keys = await redis.keys(`${prefix}:*`);
    await redis.del(RedisKeys.modelVersionCounter(bucket), RedisKeys.registrySeedLock(bucket), ...keys);
    await redis.quit();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('two gateways and two trainers on one Redis and one S3', () => {
  test('when a version is promoted through one gateway, then both serve it within the bound, and a rollback likewise', async () => {
    const [a, b] = [gatewayAt(0), gatewayAt(1)];
    const before = await versions(a);
    // Two gateways started at once seeded the empty registry once.
    expect(before.versions.map((card) => card.version)).toEqual(['v1']);
    expect(before.production?.version).toBe('v1');

    // A second version to promote: the baseline's files again, as a child of v1.
    const store = new ObjectStore(
      createS3Client({
        endpoint: cluster.s3Endpoint,
        accessKey: 'S3RVER',
        secretKey: 'S3RVER',
        region: 'us-east-1',
      }),
      bucket,
    );
    const registry = new ModelRegistry({ store, redis });
    const card = JSON.parse(readFileSync(join(baselineDir, 'card.json'), 'utf8')) as ModelCard;
    const published = await registry.publish(
      {
        modelJson: readFileSync(join(baselineDir, 'model.json')),
        weightsBin: readFileSync(join(baselineDir, 'weights.bin')),
      },
      { ...card, parent: 'v1', createdAt: new Date().toISOString() },
    );
    const next = published.version;

    const promotedAt = Date.now();
    expect(await promote(a, next)).toBe(200);
    const [promoteA, promoteB] = await Promise.all(
      [a, b].map((gateway) => switchTime(gateway, next, promotedAt)),
    );
    expect(await predictedVersion(b)).toBe(next);
    expect(await predictedVersion(a)).toBe(next);

    // Rollback through the other gateway.
    const rolledBackAt = Date.now();
    expect(await promote(b, 'v1')).toBe(200);
    const [rollbackA, rollbackB] = await Promise.all(
      [a, b].map((gateway) => switchTime(gateway, 'v1', rolledBackAt)),
    );
    expect(await predictedVersion(a)).toBe('v1');
    expect(await predictedVersion(b)).toBe('v1');
    report('promotion', {
      version: next,
      promoteThroughA_msUntilServing: { a: promoteA, b: promoteB },
      rollbackThroughB_msUntilServing: { a: rollbackA, b: rollbackB },
      boundMs: SWITCH_BOUND_MS,
      pollIntervalMs: POLL_INTERVAL_MS,
    });
  }, 60_000);

  test('when two jobs are submitted through the two gateways, then they run at the same time on different trainers and both complete', async () => {
    const [a, b] = [gatewayAt(0), gatewayAt(1)];
    const before = (await versions(a)).versions.length;
    // Different sizes, so different contents and job ids.
    const [zipA, zipB] = await Promise.all([
      buildClassFolderZip({ perClass: 4, format: 'jpeg' }),
      buildClassFolderZip({ perClass: 5, format: 'jpeg' }),
    ]);
    const submittedAt = Date.now();
    const jobIds = await Promise.all([submit(a, zipA.zip, 2), submit(b, zipB.zip, 2)]);
    expect(new Set(jobIds).size).toBe(2);

    // Both trainers report a job in hand at the same moment, one job each.
    const bothBusy = await until('both trainers busy with the two jobs', 120_000, async () => {
      const { body } = await getJson<{ trainers: TrainerBeat[] }>(`${b.url}/trainers`);
      const held = body.trainers.filter((trainer) => trainer.busy).map((trainer) => trainer.jobId);
      return held.length === 2 && jobIds.every((id) => held.includes(id)) ? body.trainers : undefined;
    });
    const bothBusyMs = Date.now() - submittedAt;
    expect(bothBusy.map((trainer) => trainer.id).sort()).toEqual(
      cluster.trainers.map((trainer) => trainer.trainerId).sort(),
    );

    // Each gateway reports the job the other one accepted.
    const done = await Promise.all([finished(b, jobIds[0], 180_000), finished(a, jobIds[1], 180_000)]);
    for (const job of done) expect(job.state, job.failedReason ?? '').toBe('completed');
    const jobs = await Promise.all(jobIds.map(async (id) => (await queue.getJob(id))!));
    const [first, second] = jobs as [(typeof jobs)[0], (typeof jobs)[0]];
    // Each ran once, start to end: neither trainer lost its lock and had its job run again.
    expect(jobs.map((job) => job.stalledCounter)).toEqual([0, 0]);
    // The runs overlap: each started before the other finished.
    expect(first.processedOn!).toBeLessThan(second.finishedOn!);
    expect(second.processedOn!).toBeLessThan(first.finishedOn!);
    expect(jobs.map((job) => job.processedBy).sort()).toEqual(
      cluster.trainers.map((trainer) => trainer.trainerId).sort(),
    );

    // Two new versions; the first to finish went to production, the other found it had moved on.
    const results = done.map((job) => job.result!);
    expect(new Set(results.map((result) => result.version)).size).toBe(2);
    expect((await versions(a)).versions.length).toBe(before + 2);
    expect(results.filter((result) => result.promoted)).toHaveLength(1);
    const promoted = results.find((result) => result.promoted)!;
    const notPromoted = results.find((result) => !result.promoted)!;
    expect(notPromoted.reason).toMatch(/production moved on/);
    const promotionAt = Date.now();
    const [servingA, servingB] = await Promise.all(
      [a, b].map((gateway) => switchTime(gateway, promoted.version, promotionAt)),
    );
    report('two jobs', {
      msUntilBothBusy: bothBusyMs,
      jobs: jobs.map((job, index) => ({
        id: job.id,
        trainer: job.processedBy,
        startedAfterSubmitMs: job.processedOn! - submittedAt,
        runMs: job.finishedOn! - job.processedOn!,
        version: results[index]!.version,
        promoted: results[index]!.promoted,
        jobSeconds: results[index]!.seconds,
      })),
      overlapMs:
        Math.min(first.finishedOn!, second.finishedOn!) - Math.max(first.processedOn!, second.processedOn!),
      msUntilBothServePromotedAfterCompletion: { a: servingA, b: servingB },
    });
  }, 240_000);

  test('when the trainer running a job is killed in its training phase, then the other trainer completes it and one version is published', async () => {
    const a = gatewayAt(0);
    const before = (await versions(a)).versions.map((card) => card.version);
    // Still training well after the kill decision, however fast the engine.
    const { zip } = await buildClassFolderZip({ perClass: LONG_TRAINING.perClass, format: 'jpeg' });
    const jobId = await submit(a, zip, LONG_TRAINING.epochs);
    const training = await until('the job training', 120_000, async () => {
      const { body } = await getJson<JobView>(`${a.url}/jobs/${jobId}`);
      return body.state === 'active' && body.progress?.phase === 'training' && (body.progress.epoch ?? 0) >= 2
        ? body.progress
        : undefined;
    });
    const taken = (await queue.getJob(jobId))!;
    const victim = cluster.trainers.find((trainer) => trainer.trainerId === taken.processedBy);
    const survivor = cluster.trainers.find((trainer) => trainer !== victim);
    expect(victim, `job taken by ${taken.processedBy}`).toBeDefined();
    process.kill(victim!.pid, 'SIGKILL');
    const killedAt = Date.now();
    expect((await victim!.exited).signal).toBe('SIGKILL');

    const resumed = await until('the job taken by the other trainer', 60_000, async () => {
      // processedBy changes when a worker moves the job to active: the survivor has it now.
      const job = await queue.getJob(jobId);
      return job?.processedBy === survivor!.trainerId ? job : undefined;
    });
    const resumedMs = Date.now() - killedAt;
    const done = await finished(a, jobId, 180_000);
    const completedMs = Date.now() - killedAt;
    expect(done.state, done.failedReason ?? '').toBe('completed');

    // The killed run never reached publishing; the resumed one published exactly one version.
    const after = await versions(a);
    const added = after.versions.filter((card) => !before.includes(card.version));
    expect(added.map((card) => card.version)).toEqual([done.result!.version]);
    expect(after.versions.filter((card) => card.training.jobId === jobId)).toHaveLength(1);
    const final = (await queue.getJob(jobId))!;
    expect(final.processedBy).toBe(survivor!.trainerId);
    // Found stalled once (the kill), then run to the end by the survivor.
    expect(final.stalledCounter).toBe(1);
    report('killed trainer', {
      progressAtKill: {
        phase: training.phase,
        epoch: training.epoch,
        batch: training.batch,
        batches: training.batches,
      },
      msUntilOtherTrainerTookIt: resumedMs,
      msFromKillToCompleted: completedMs,
      resumedAfterStartedMs: resumed.processedOn! - killedAt,
      attemptsMade: final.attemptsMade,
      stalledCounter: final.stalledCounter,
      version: done.result!.version,
      resumedRunSeconds: done.result!.seconds,
      versionsAdded: added.length,
      lockMs: LOCK_MS,
      stalledIntervalMs: STALLED_INTERVAL_MS,
    });
  }, 240_000);
});
