// Rollouts across two gateways on one Redis and one S3 (both in this process, each with its own
// connections, inference threads and HTTP server): a canary splits clients by a stable hash and
// the live figures are summed over both gateways; a shadow fails no request and accounts for every
// sample (scored, dropped or skipped); a broken candidate is rolled back by the criteria with the
// reason in the history. Latency is printed, not asserted: `npm run bench:shadow` measures it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, LABELS, RedisKeys } from '@visionops/core';
import { createModel, modelToFiles } from '@visionops/core/model';
import type { RolloutRecord, RolloutStats } from '@visionops/core/registry';
import {
  buildTestModel,
  eventually,
  startTestStorage,
  syntheticImage,
  type TestStorage,
  useCpuBackend,
} from '@visionops/testkit';
import type { Gateway } from '../src/gateway.js';
import { startWebServer } from '../src/web-server.js';
import { imageForm } from './test-gateway.js';

const ADMIN_TOKEN = 'rollout-test-admin-token-0123456789';

interface RunningGateway {
  url: string;
  gateway: Gateway;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  version: string | undefined;
  label: string | undefined;
  ms: number;
}

let storage: TestStorage;
let baselineDir: string;
let gateways: [RunningGateway, RunningGateway];
let production: string;
let images: Buffer[];
const queuePrefix = `test-${randomUUID()}`;

async function startGateway(): Promise<RunningGateway> {
  const server = await startWebServer(storage.config, createLogger('rollout-test', { level: 'silent' }), {
    modelsChannel: storage.channel,
  });
  return { url: server.url, gateway: server.gateway, stop: () => server.stop(1000) };
}

beforeAll(async () => {
  await useCpuBackend();
  baselineDir = mkdtempSync(join(tmpdir(), 'visionops-no-baseline-'));
  storage = await startTestStorage({
    HOST: '127.0.0.1',
    PORT: '0',
    ML_BACKEND: 'wasm',
    BASELINE_MODEL_DIR: baselineDir,
    QUEUE_PREFIX: queuePrefix,
    ADMIN_TOKEN,
    // Long enough that both gateways following a rollout within the waits below had the event.
    MODEL_POLL_INTERVAL_MS: '30000',
    ROLLOUT_DECISION_INTERVAL_MS: '200',
  });
  const first = await buildTestModel(1);
  production = (await storage.registry.publish(first.files, first.card)).version;
  await storage.registry.promote(production, 'test setup');
  gateways = [await startGateway(), await startGateway()];
  await eventually(() => gateways.every(({ gateway }) => gateway.pool.modelVersion === production), 60_000);
  images = await Promise.all(Array.from({ length: 20 }, (_, i) => syntheticImage(i % LABELS.length, i)));
}, 120_000);

// A test that fails mid-rollout must not leave it running for the next one.
afterEach(async () => {
  if (gateways) await waitUntilNoRollout();
}, 60_000);

afterAll(async () => {
  await Promise.all((gateways ?? []).map((running) => running.stop()));
  const keys = await storage.redis.keys(`${queuePrefix}:*`);
  if (keys.length > 0) await storage.redis.del(...keys);
  await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
  await storage.stop();
  rmSync(baselineDir, { recursive: true, force: true });
});

async function predict(url: string, i: number, clientId?: string): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${url}/predict`, {
    method: 'POST',
    body: imageForm('file', [{ name: 'a.png', data: images[i % images.length]! }]),
    ...(clientId && { headers: { 'x-client-id': clientId } }),
  });
  const body = response.ok ? ((await response.json()) as { modelVersion: string; label: string }) : undefined;
  if (!response.ok) await response.body?.cancel();
  return {
    status: response.status,
    version: body?.modelVersion,
    label: body?.label,
    ms: performance.now() - started,
  };
}

/** Sends `count` requests, `concurrency` at a time, alternating between the two gateways. */
async function load(
  count: number,
  concurrency: number,
  clientId: (i: number) => string | undefined,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        answers[i] = await predict(gateways[i % 2]!.url, i, clientId(i));
      }
    }),
  );
  return answers;
}

function quantile(answers: Answer[], q: number): number {
  const sorted = answers.map((answer) => answer.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
const p99 = (answers: Answer[]) => quantile(answers, 0.99);
const p50 = (answers: Answer[]) => quantile(answers, 0.5);

/** Waits until both gateways split no traffic; ends a rollout a failed test left running. */
async function waitUntilNoRollout(): Promise<void> {
  const running = await gateways[0].gateway.rollout.rollouts.current();
  if (running) {
    await gateways[0].gateway.rollout.rollouts
      .finish({
        id: running.rollout.id,
        outcome: 'aborted',
        reason: 'test cleanup',
        decidedBy: 'admin',
        stats: null,
      })
      .catch(() => undefined);
  }
  await eventually(
    () => gateways.every(({ gateway }) => gateway.rollout.follower.active === undefined),
    30_000,
  );
}

async function admin(
  url: string,
  path: string,
  body: unknown = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Starts a rollout through gateway 1 and waits until both gateways split traffic for it. */
async function startRollout(settings: Record<string, unknown>): Promise<string> {
  const started = await admin(gateways[0].url, '/rollouts', settings);
  expect(started.status).toBe(201);
  const { id } = (started.body as { rollout: { id: string } }).rollout;
  await eventually(
    () => gateways.every(({ gateway }) => gateway.rollout.follower.active?.rollout.id === id),
    60_000,
  );
  return id;
}

async function currentStats(url: string): Promise<RolloutStats | null> {
  return ((await (await fetch(`${url}/rollouts/current`)).json()) as { stats: RolloutStats | null }).stats;
}

async function history(): Promise<RolloutRecord[]> {
  return (
    (await (await fetch(`${gateways[1].url}/rollouts/history`)).json()) as { rollouts: RolloutRecord[] }
  ).rollouts;
}

const looseCriteria = { autoPromote: false, minAgreement: null, maxErrorRate: 1, maxP99Ms: 600_000 };

describe('rollouts across two gateways', () => {
  test('when a canary runs at 20%, then 20% +- 5% of 1,000 distinct clients get the candidate and one client always gets one version', async () => {
    const candidate = (
      await storage.registry.publish((await buildTestModel(2)).files, (await buildTestModel(2)).card)
    ).version;
    await startRollout({ candidate, mode: 'canary', percent: 20, criteria: looseCriteria });

    const answers = await load(1000, 8, (i) => `client-${i}`);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    const byCandidate = answers.filter((answer) => answer.version === candidate).length;
    const byProduction = answers.filter((answer) => answer.version === production).length;
    expect(byCandidate + byProduction).toBe(1000);

    // One client on each side, 50 requests each through both gateways.
    const onCandidate = `client-${answers.findIndex((answer) => answer.version === candidate)}`;
    const onProduction = `client-${answers.findIndex((answer) => answer.version === production)}`;
    const sticky = await Promise.all(
      [onCandidate, onProduction].map(async (client) => load(50, 2, () => client)),
    );
    const versions = sticky.map((replies) => [...new Set(replies.map((reply) => reply.version))]);
    console.info(
      `canary at 20%: ${byCandidate} of 1000 distinct clients answered by the candidate (${(byCandidate / 10).toFixed(1)}%); ` +
        `one client's 50 requests: ${JSON.stringify(versions[0])} and another's ${JSON.stringify(versions[1])}`,
    );
    expect(byCandidate).toBeGreaterThanOrEqual(150);
    expect(byCandidate).toBeLessThanOrEqual(250);
    expect(versions).toEqual([[candidate], [production]]);

    // The figures of both gateways are summed in Redis: each gateway reads the same totals.
    const expected = byCandidate + 50;
    await eventually(
      async () => (await currentStats(gateways[1].url))?.candidate.requests === expected,
      10_000,
    );
    const stats = (await currentStats(gateways[0].url))!;
    expect(stats.candidate).toMatchObject({ version: candidate, requests: expected, errors: 0 });
    expect(stats.production).toMatchObject({ version: production, requests: 1100 - expected, errors: 0 });
    expect(stats.candidate.p99Ms).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gateways[1].url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`visionops_rollout_percent\\{[^}]*candidate="${candidate}",mode="canary"\\} 20`),
    );

    // Open Inference Protocol clients are split the same way, by the same client key.
    for (const [client, version] of [
      [onCandidate, candidate],
      [onProduction, production],
    ] as const) {
      const response = await fetch(`${gateways[0].url}/v2/models/cifar10/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-client-id': client },
        body: JSON.stringify({
          inputs: [
            { name: 'images', datatype: 'UINT8', shape: [1, 32, 32, 3], data: new Array(3072).fill(128) },
          ],
        }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { model_version: string }).model_version).toBe(version);
    }

    const aborted = await admin(gateways[1].url, '/rollouts/current/abort', {
      reason: 'distribution measured',
    });
    expect(aborted.status).toBe(200);
    await eventually(
      () => gateways.every(({ gateway }) => gateway.rollout.follower.active === undefined),
      20_000,
    );
    expect((await history())[0]).toMatchObject({
      candidate,
      outcome: 'aborted',
      decidedBy: 'admin',
      reason: 'distribution measured',
    });
    const after = await load(40, 4, (i) => `client-${i}`);
    expect(new Set(after.map((answer) => answer.version))).toEqual(new Set([production]));
  }, 300_000);

  test('when a shadow samples every request, then no request fails, production answers all, and each sample is scored, dropped or skipped', async () => {
    const candidate = (
      await storage.registry.publish((await buildTestModel(3)).files, (await buildTestModel(3)).card)
    ).version;
    await load(50, 4, () => undefined); // warm both gateways' HTTP and decode paths
    // Rounds of "without" then "with", so a change in the machine's outside load falls on both.
    const without: Answer[] = [];
    const withShadow: Answer[] = [];
    const rounds: string[] = [];
    let compared = 0;
    let scored = 0;
    let dropped = 0;
    let skipped = 0;
    for (let round = 0; round < 3; round++) {
      const plain = await load(150, 4, () => undefined);
      await startRollout({ candidate, mode: 'shadow', percent: 100, criteria: looseCriteria });
      const shadowed = await load(150, 4, () => undefined);
      // Each of the 150 samples ends scored, dropped or skipped, once both gateways have counted it.
      const accounted = (stats: RolloutStats | null) =>
        stats ? stats.candidate.requests + stats.candidate.dropped + stats.candidate.skipped : 0;
      await eventually(async () => accounted(await currentStats(gateways[0].url)) >= 150, 10_000);
      const stats = (await currentStats(gateways[0].url))!;
      expect(accounted(stats)).toBe(150);
      compared += stats.candidate.compared;
      scored += stats.candidate.requests;
      dropped += stats.candidate.dropped;
      skipped += stats.candidate.skipped;
      expect((await admin(gateways[0].url, '/rollouts/current/abort')).status).toBe(200);
      await waitUntilNoRollout();
      without.push(...plain);
      withShadow.push(...shadowed);
      rounds.push(`${p99(plain).toFixed(0)}/${p99(shadowed).toFixed(0)}`);
    }
    const ratio = p99(withShadow) / p99(without);
    console.info(
      `shadow at 100%: p99 ${p99(withShadow).toFixed(1)} ms vs ${p99(without).toFixed(1)} ms without ` +
        `(ratio ${ratio.toFixed(2)}; p50 ${p50(withShadow).toFixed(1)} vs ${p50(without).toFixed(1)} ms; ` +
        `per round without/with ${rounds.join(', ')} ms); failed ${[...without, ...withShadow].filter((a) => a.status !== 200).length} ` +
        `of ${without.length + withShadow.length}; candidate scored ${scored}, dropped ${dropped}, ` +
        `skipped ${skipped} (production busy), compared ${compared}`,
    );
    expect([...without, ...withShadow].filter((answer) => answer.status !== 200)).toEqual([]);
    // Every answer came from production; the candidate only scored in the background.
    expect(new Set(withShadow.map((answer) => answer.version))).toEqual(new Set([production]));
    // Production is idle at least when each round's last answer is known: the shadow did score.
    expect(scored).toBeGreaterThan(0);
    expect(compared).toBe(scored);
  }, 300_000);

  test('when a canary candidate answers one class only, then the criteria roll it back at once and record why', async () => {
    // The one class production never answers on the test images: agreement collapses to zero.
    const seen = new Set((await load(images.length, 2, () => undefined)).map((answer) => answer.label));
    const broken = LABELS.findIndex((label) => !seen.has(label));
    expect(broken).toBeGreaterThanOrEqual(0);
    const model = createModel({ name: 'resnet9', width: 4 }, 4);
    const dense = model.getLayer('dense');
    const [kernel, bias] = dense.getWeights();
    dense.setWeights([
      tf.zerosLike(kernel!),
      tf
        .oneHot(tf.tensor1d([broken], 'int32'), LABELS.length)
        .mul(80)
        .reshape(bias!.shape),
    ]);
    const files = await modelToFiles(model);
    model.dispose();
    const { card } = await buildTestModel(1);
    const candidate = (await storage.registry.publish(files, card)).version;

    const id = await startRollout({
      candidate,
      mode: 'canary',
      percent: 50,
      mirrorPercent: 100,
      criteria: { minRequests: 100_000, minAgreement: 0.8, minSamples: 20 },
    });
    const started = performance.now();
    let sent = 0;
    let failed = 0;
    let decidedAt: number | undefined;
    while (decidedAt === undefined && performance.now() - started < 60_000) {
      const batch = await load(20, 4, (i) => `broken-${sent + i}`);
      sent += batch.length;
      failed += batch.filter((answer) => answer.status !== 200).length;
      if ((await history())[0]?.id === id) decidedAt = performance.now();
    }
    const record = (await history())[0]!;
    console.info(
      `broken candidate (answers only "${LABELS[broken]}"): ${record.outcome} by ${record.decidedBy} after ` +
        `${sent} requests, ${((decidedAt! - started) / 1000).toFixed(1)} s; reason: ${record.reason}`,
    );
    expect(record).toMatchObject({ id, candidate, outcome: 'rolled_back', decidedBy: 'criteria' });
    expect(record.reason).toMatch(/^agreement with production 0\.0% .* below the 80\.0% floor/);
    expect(record.stats?.candidate.agreement).toBe(0);
    expect(failed).toBe(0);
    expect((await storage.registry.getProduction())?.alias.version).toBe(production);
    await eventually(
      () => gateways.every(({ gateway }) => gateway.rollout.follower.active === undefined),
      20_000,
    );
    const after = await load(40, 4, (i) => `broken-${i}`);
    expect(new Set(after.map((answer) => answer.version))).toEqual(new Set([production]));
  }, 300_000);

  test('when the admin routes are misused, then they answer 401, 400, 404 and 409 with what to fix', async () => {
    const [{ url }] = gateways;
    const unauthorised = await fetch(`${url}/rollouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ candidate: production, mode: 'canary', percent: 5 }),
    });
    expect(unauthorised.status).toBe(401);
    await unauthorised.body?.cancel();
    const invalid = await admin(url, '/rollouts', { candidate: 'latest', mode: 'blue-green', percent: 120 });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toMatch(/candidate.*mode.*percent/);
    expect((await admin(url, '/rollouts', { candidate: 'v999', mode: 'canary', percent: 5 })).status).toBe(
      404,
    );
    const same = await admin(url, '/rollouts', { candidate: production, mode: 'canary', percent: 5 });
    expect(same).toMatchObject({ status: 409, body: { error: { code: 'candidate_in_production' } } });
    expect(await admin(url, '/rollouts/current/promote')).toMatchObject({
      status: 409,
      body: { error: { code: 'no_rollout' } },
    });
    expect(await (await fetch(`${url}/rollouts/current`)).json()).toMatchObject({
      rollout: null,
      stats: null,
    });
  });

  test('when a shadow candidate is slower than its p99 bound, then it is rolled back for latency with the figure recorded', async () => {
    // A bound no model meets on this machine (1 ms, the smallest histogram bucket) stands in for a
    // slow candidate: the same path judges a real one.
    const slow = await buildTestModel(5);
    const candidate = (await storage.registry.publish(slow.files, slow.card)).version;
    const id = await startRollout({
      candidate,
      mode: 'shadow',
      percent: 100,
      criteria: { minRequests: 100_000, minAgreement: null, maxP99Ms: 1, minSamples: 20 },
    });
    const started = performance.now();
    let sent = 0;
    while ((await history())[0]?.id !== id && performance.now() - started < 60_000) {
      const batch = await load(20, 4, () => undefined);
      expect(batch.filter((answer) => answer.status !== 200)).toEqual([]);
      sent += batch.length;
    }
    const record = (await history())[0]!;
    console.info(
      `slow candidate: ${record.outcome} by ${record.decidedBy} after ${sent} requests, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s; reason: ${record.reason}`,
    );
    expect(record).toMatchObject({ id, outcome: 'rolled_back', decidedBy: 'criteria' });
    expect(record.reason).toMatch(/^latency p99 \d+ ms \(\d+ requests\) is above the 1 ms bound$/);
    expect(record.stats?.candidate.p99Ms).toBeGreaterThan(1);
    expect((await storage.registry.getProduction())?.alias.version).toBe(production);
  }, 300_000);

  test('when a candidate keeps every bound for N requests, then it is promoted automatically and both gateways serve it', async () => {
    // The same weights as production: full agreement, same speed.
    const same = await buildTestModel(1);
    const candidate = (await storage.registry.publish(same.files, same.card)).version;
    const id = await startRollout({
      candidate,
      mode: 'canary',
      percent: 50,
      mirrorPercent: 100,
      criteria: { minRequests: 60, minAgreement: 0.9, minSamples: 20, maxErrorRate: 0, maxP99Ms: 60_000 },
    });
    const started = performance.now();
    let sent = 0;
    while ((await history())[0]?.id !== id && performance.now() - started < 60_000) {
      const batch = await load(20, 4, (i) => `good-${sent + i}`);
      expect(batch.filter((answer) => answer.status !== 200)).toEqual([]);
      sent += batch.length;
    }
    const record = (await history())[0]!;
    console.info(
      `good candidate: ${record.outcome} by ${record.decidedBy} after ${sent} requests, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s; reason: ${record.reason}`,
    );
    expect(record).toMatchObject({ id, outcome: 'promoted', decidedBy: 'criteria' });
    expect(record.stats?.candidate.requests).toBeGreaterThanOrEqual(60);
    expect(record.stats?.candidate.agreement).toBe(1);
    expect((await storage.registry.getProduction())?.alias.version).toBe(candidate);
    await eventually(() => gateways.every(({ gateway }) => gateway.pool.modelVersion === candidate), 30_000);
    production = candidate;
  }, 300_000);
});
