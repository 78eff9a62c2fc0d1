// `npm run bench:shadow`: what a shadow candidate scoring every request costs the answering path.
// One in-process gateway on 127.0.0.1 serves the baseline model; a copy of it, published as another
// version, is the shadow. A closed loop of clients (a child process, bench/load-client.ts) sends
// one image per request at concurrency 8, then 32, in rounds without and with a shadow, in the
// order ABBA ABBA ABBA per level (same process, same images), so drift in the machine's outside
// load falls on both alike. Prints each round, then one JSON line with the medians and
// p99ShadowVsNone per level. The gateway's settings (ROLLOUT_SHADOW_ONLY_WHEN_IDLE,
// ROLLOUT_CANDIDATE_THREADS, INFERENCE_THREADS, ...) pass through from the environment, and
// SHADOW_PERCENT (default 100) is the share of requests the shadow samples: 0 leaves a rollout
// running that scores nothing, which separates the rollout's own bookkeeping from the scoring.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig, RedisKeys, repoRoot } from '@visionops/core';
import type { RolloutStats } from '@visionops/core/registry';
import { startTestStorage } from '@visionops/testkit';
import { sampleImages } from '../test/test-images.js';
import { startWebServer } from '../src/web-server.js';
import type { LoadImage } from './load-client.js';
import { LoadClient } from './load-client-process.js';
import { percentile, median } from './percentiles.js';

const IMAGES = 128;
const LEVELS = [
  { concurrency: 8, requests: 1200 },
  { concurrency: 32, requests: 1600 },
];
const PAIRS = 6;
const WARM_UP_REQUESTS = 80;
/** Rounds stop being started after this long, so a slow machine still finishes within 3 minutes. */
const BUDGET_MS = 150_000;
const ADMIN_TOKEN = 'shadow-bench-admin-token-0123456789';
const SHADOW_PERCENT = Number(process.env.SHADOW_PERCENT ?? 100);
if (!(SHADOW_PERCENT >= 0 && SHADOW_PERCENT <= 100)) throw new Error('SHADOW_PERCENT is a share, 0 to 100');
const PASSED_THROUGH = [
  'ROLLOUT_SHADOW_ONLY_WHEN_IDLE',
  'ROLLOUT_SHADOW_QUEUE',
  'ROLLOUT_CANDIDATE_THREADS',
  'INFERENCE_THREADS',
  'BATCH_MAX_SIZE',
  'BATCH_MAX_WAIT_MS',
  'PREDICTION_LOG_SAMPLE_RATE',
];

type Kind = 'none' | 'shadow';

interface Round {
  concurrency: number;
  kind: Kind;
  requests: number;
  failed: number;
  throughput: number;
  p50: number;
  p99: number;
  /** Gateway event-loop (main thread) time per request: HTTP, decoding hand-off, results, figures. */
  mainThreadMsPerRequest: number;
  /** All of the gateway process's CPU per request (every thread, the candidate's included). */
  processCpuMsPerRequest: number;
  /** The shadow's samples in this round: scored by the candidate, dropped (queue full), skipped (busy). */
  scored: number;
  dropped: number;
  skipped: number;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const started = Date.now();
const config = loadConfig();
const backend = config.ML_BACKEND === 'auto' ? 'wasm' : config.ML_BACKEND;
const { images, real } = await sampleImages(IMAGES);
const payload: LoadImage[] = images.map(({ name, type, data }) => ({
  name,
  type,
  data: new Uint8Array(data),
}));

const storage = await startTestStorage({
  ML_BACKEND: backend,
  HOST: '127.0.0.1',
  PORT: '0',
  ADMIN_TOKEN,
  BASELINE_MODEL_DIR: join(repoRoot, 'models', 'baseline'),
  ...Object.fromEntries(
    PASSED_THROUGH.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
  ),
});
const server = await startWebServer(storage.config, createLogger('gateway', { level: 'warn' }), {
  modelsChannel: storage.channel,
});
const { url, gateway } = server;
const { follower, traffic } = gateway.rollout;
const client = new LoadClient();
const rounds: Round[] = [];
let production = '';
let candidate = '';
let stoppedEarly = false;

async function admin(path: string, body: unknown): Promise<{ rollout?: { id: string } }> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { rollout?: { id: string } };
}

/** Starts a shadow of the copy sampling SHADOW_PERCENT of requests; waits until the gateway splits. */
async function startShadow(): Promise<void> {
  const { rollout } = await admin('/rollouts', {
    candidate,
    mode: 'shadow',
    percent: SHADOW_PERCENT,
    // Never decided by the criteria: the bench ends it.
    criteria: { autoPromote: false, minAgreement: null, maxErrorRate: 1, maxP99Ms: 600_000 },
    reason: 'bench:shadow',
  });
  await waitFor('the shadow to start', () => follower.active?.rollout.id === rollout!.id);
}

async function stopShadow(): Promise<void> {
  await admin('/rollouts/current/abort', { reason: 'bench:shadow round done' });
  await waitFor('the shadow to end', () => follower.active === undefined);
}

/** The shadow's sample counts so far, once no background scoring is left running. */
async function shadowCounts(): Promise<{ scored: number; dropped: number; skipped: number }> {
  await waitFor('background scoring to finish', () => traffic.backgroundImages === 0);
  const response = await fetch(`${url}/rollouts/current`);
  const { stats } = (await response.json()) as { stats: RolloutStats | null };
  const c = stats?.candidate;
  return { scored: c?.requests ?? 0, dropped: c?.dropped ?? 0, skipped: c?.skipped ?? 0 };
}

async function measure(concurrency: number, requests: number, kind: Kind): Promise<Round> {
  const before = kind === 'shadow' ? await shadowCounts() : undefined;
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const reply = await client.ask({ type: 'predict', url, images: payload, concurrency, requests });
  const { user, system } = process.cpuUsage(cpu);
  const { active } = performance.eventLoopUtilization(loop);
  if (reply.type !== 'predicted') throw new Error(`unexpected reply ${reply.type}`);
  const after = kind === 'shadow' ? await shadowCounts() : undefined;
  const sorted = [...reply.latencies].sort((a, b) => a - b);
  return {
    concurrency,
    kind,
    requests,
    failed: reply.failed,
    throughput: requests / reply.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mainThreadMsPerRequest: active / requests,
    processCpuMsPerRequest: (user + system) / 1000 / requests,
    scored: after && before ? after.scored - before.scored : 0,
    dropped: after && before ? after.dropped - before.dropped : 0,
    skipped: after && before ? after.skipped - before.skipped : 0,
  };
}

function print(r: Round): void {
  console.log(
    `| ${r.concurrency} | ${r.kind} | ${r.requests} | ${r.failed} | ${round(r.throughput)} | ${round(r.p50, 2)} | ` +
      `${round(r.p99, 2)} | ${round(r.mainThreadMsPerRequest, 3)} | ${round(r.processCpuMsPerRequest, 2)} | ` +
      (r.kind === 'shadow' ? `${r.scored} / ${r.dropped} / ${r.skipped} |` : '- |'),
  );
}

const loadBefore = loadavg();
try {
  await waitFor('the gateway to load the baseline model', () => gateway.pool.modelVersion !== undefined);
  production = gateway.pool.modelVersion!;
  // The shadow: the same model published again under its own version.
  const [files, card] = await Promise.all([
    storage.registry.getFiles(production),
    storage.registry.getCard(production),
  ]);
  candidate = (await storage.registry.publish(files, card)).version;
  console.log(
    `production ${production}, shadow ${candidate} (a copy of it), models/baseline; backend ${backend}; ` +
      `${images.length} ${real ? 'CIFAR-10 test JPEGs' : 'synthetic PNGs'}, one image per request; ` +
      `shadow samples ${SHADOW_PERCENT}% of requests, ` +
      `ROLLOUT_SHADOW_ONLY_WHEN_IDLE=${storage.config.ROLLOUT_SHADOW_ONLY_WHEN_IDLE}, ` +
      `ROLLOUT_CANDIDATE_THREADS=${storage.config.ROLLOUT_CANDIDATE_THREADS}, ` +
      `INFERENCE_THREADS=${storage.config.INFERENCE_THREADS}; load average ${loadBefore.map((l) => round(l, 2)).join(', ')}`,
  );
  // Warm both paths: production's, and the candidate's start, load and scoring.
  await measure(8, WARM_UP_REQUESTS, 'none');
  await startShadow();
  await measure(8, WARM_UP_REQUESTS, 'shadow');
  await stopShadow();

  console.log('');
  console.log(
    '| concurrency | shadow | requests | failed | requests/s | p50 ms | p99 ms | main thread ms/request | process CPU ms/request | shadow scored / dropped / skipped |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  levels: for (const { concurrency, requests } of LEVELS) {
    // ABBA: two shadow rounds in a row share one rollout, and linear drift cancels out.
    const order: Kind[] = Array.from({ length: PAIRS }, (_, i) =>
      i % 2 === 0 ? (['none', 'shadow'] as const) : (['shadow', 'none'] as const),
    ).flat();
    for (const [i, kind] of order.entries()) {
      if (Date.now() - started > BUDGET_MS) {
        stoppedEarly = true;
        break levels;
      }
      if (kind === 'shadow' && follower.active === undefined) await startShadow();
      const result = await measure(concurrency, requests, kind);
      rounds.push(result);
      print(result);
      if (kind === 'shadow' && order[i + 1] !== 'shadow') await stopShadow();
    }
  }
} finally {
  client.close();
  await server.stop(1000);
  await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
  const keys = await storage.redis.keys(`${storage.config.QUEUE_PREFIX}:rollout:*`);
  if (keys.length > 0) await storage.redis.del(...keys);
  await storage.stop();
}

const loadAfter = loadavg();
console.log('');
if (stoppedEarly) {
  console.log(
    `Stopped early: the rounds took longer than ${BUDGET_MS / 1000} s; figures rest on fewer rounds.`,
  );
}
console.log(
  `Load average after: ${loadAfter.map((l) => round(l, 2)).join(', ')}. Other work on the machine moves single ` +
    'rounds; compare medians of many rounds, and runs on a quiet machine.',
);

const summaries = LEVELS.flatMap(({ concurrency }) => {
  const of = (kind: Kind) => rounds.filter((r) => r.concurrency === concurrency && r.kind === kind);
  const none = of('none');
  const shadow = of('shadow');
  if (none.length === 0 || shadow.length === 0) return [];
  const figures = (list: Round[]) => ({
    rounds: list.length,
    failed: list.reduce((sum, r) => sum + r.failed, 0),
    p50Ms: round(median(list.map((r) => r.p50)), 2),
    p99Ms: round(median(list.map((r) => r.p99)), 2),
    requestsPerSecond: round(median(list.map((r) => r.throughput))),
    mainThreadMsPerRequest: round(median(list.map((r) => r.mainThreadMsPerRequest)), 3),
    processCpuMsPerRequest: round(median(list.map((r) => r.processCpuMsPerRequest)), 2),
  });
  const withoutShadow = figures(none);
  const withShadow = {
    ...figures(shadow),
    scored: shadow.reduce((sum, r) => sum + r.scored, 0),
    dropped: shadow.reduce((sum, r) => sum + r.dropped, 0),
    skipped: shadow.reduce((sum, r) => sum + r.skipped, 0),
  };
  return [
    [
      `c${concurrency}`,
      {
        none: withoutShadow,
        shadow: withShadow,
        p99ShadowVsNone: round(withShadow.p99Ms / withoutShadow.p99Ms, 3),
        p50ShadowVsNone: round(withShadow.p50Ms / withoutShadow.p50Ms, 3),
        throughputShadowVsNone: round(withShadow.requestsPerSecond / withoutShadow.requestsPerSecond, 3),
      },
    ] as const,
  ];
});

console.log(
  JSON.stringify({
    bench: 'shadow',
    backend,
    realImages: real,
    shadowPercent: SHADOW_PERCENT,
    shadowOnlyWhenIdle: storage.config.ROLLOUT_SHADOW_ONLY_WHEN_IDLE,
    candidateThreads: storage.config.ROLLOUT_CANDIDATE_THREADS,
    order: 'ABBA per level',
    stoppedEarly,
    seconds: round((Date.now() - started) / 1000),
    loadAverage: { before: loadBefore.map((l) => round(l, 2)), after: loadAfter.map((l) => round(l, 2)) },
    levels: Object.fromEntries(summaries),
    p99ShadowVsNone: Object.fromEntries(summaries.map(([level, s]) => [level, s.p99ShadowVsNone])),
  }),
);
