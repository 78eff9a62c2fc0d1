// `npm run bench:serve`: the gateway's throughput and latency over HTTP at concurrency 1, 8 and 32,
// with /health probed during the concurrency-32 phase, each level bracketed by slices of the
// in-process engine's batched throughput (the ceiling) and single-image latency, all in one run. The HTTP clients run in child processes
// (bench/load-client.ts), as real clients would, so they do not steal the gateway's event loop.
// Real CIFAR-10 JPEGs from test.zip when present, synthetic images otherwise; 127.0.0.1 only.
// Prints a table, then one JSON line with the ratios.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  createLogger,
  decodeImage,
  loadConfig,
  normalise,
  PIXELS_PER_IMAGE,
  repoRoot,
} from '@visionops/core';
import { initBackend } from '@visionops/core/engine';
import {
  createModel,
  DEFAULT_ARCHITECTURE,
  modelFromFiles,
  modelToFiles,
  predictProbabilities,
  readModelFiles,
  type ModelCard,
  type ModelFiles,
} from '@visionops/core/model';
import { RedisKeys, CIFAR10_NORMALISATION, LABELS, PREPROCESS_VERSION } from '@visionops/core';
import { startTestStorage } from '@visionops/testkit';
import { sampleImages, type NamedImage } from '../test/test-images.js';
import type { Gateway } from '../src/gateway.js';
import { startWebServer } from '../src/web-server.js';
import type { LoadImage } from './load-client.js';
import { LoadClient } from './load-client-process.js';
import { percentile, median } from './percentiles.js';

const IMAGES = 256;
const ENGINE_BATCH = 32;
const ENGINE_BATCHES = 12;
const SINGLE_RUNS = 40;
const LEVELS = [
  { concurrency: 1, requests: 150 },
  { concurrency: 8, requests: 400 },
  { concurrency: 32, requests: 800 },
];
const PROBED_CONCURRENCY = 32;

async function benchModel(): Promise<{ files: ModelFiles; card: ModelCard; source: string }> {
  const baseline = loadConfig().BASELINE_MODEL_DIR;
  if (existsSync(join(baseline, 'card.json'))) {
    const { readFile } = await import('node:fs/promises');
    const card = JSON.parse(await readFile(join(baseline, 'card.json'), 'utf8')) as ModelCard;
    return { files: await readModelFiles(baseline), card, source: relative(repoRoot, baseline) || baseline };
  }
  const model = createModel(DEFAULT_ARCHITECTURE, 1);
  const files = await modelToFiles(model);
  const card: ModelCard = {
    parent: null,
    createdAt: new Date().toISOString(),
    labels: [...LABELS],
    architecture: { ...DEFAULT_ARCHITECTURE, parameters: model.countParams(), inputShape: [32, 32, 3] },
    normalisation: { mean: [...CIFAR10_NORMALISATION.mean], std: [...CIFAR10_NORMALISATION.std] },
    preprocessVersion: PREPROCESS_VERSION,
    training: { recipe: 'untrained, for benchmarks' },
    metrics: null,
  };
  model.dispose();
  return { files, card, source: `untrained resnet9 width ${DEFAULT_ARCHITECTURE.width}` };
}

/**
 * The in-process engine in this thread: the model with pre-decoded images. Measured in slices
 * before and after each gateway level, because this machine's speed drifts within minutes: each
 * gateway figure is compared with the engine measured around it.
 */
async function startEngine(files: ModelFiles, card: ModelCard, images: NamedImage[]) {
  const model = await modelFromFiles(files);
  const decoded = await Promise.all(images.map((image) => decodeImage(image.data)));
  const batch = new Float32Array(ENGINE_BATCH * PIXELS_PER_IMAGE);
  for (let i = 0; i < ENGINE_BATCH; i++)
    normalise(decoded[i % decoded.length]!, card.normalisation, batch, i * PIXELS_PER_IMAGE);
  predictProbabilities(model, batch, ENGINE_BATCH); // warm-up
  let single = 0;
  return {
    /** Batched throughput, images/s: the ceiling. */
    ceiling(): number {
      const started = performance.now();
      for (let b = 0; b < ENGINE_BATCHES; b++) predictProbabilities(model, batch, ENGINE_BATCH);
      return (ENGINE_BATCHES * ENGINE_BATCH) / ((performance.now() - started) / 1000);
    },
    /** Single images, the whole in-process path (decode, normalise, predict): ms each. */
    async singles(): Promise<number[]> {
      const times: number[] = [];
      for (let i = 0; i < SINGLE_RUNS; i++) {
        const image = images[single++ % images.length]!;
        const t0 = performance.now();
        const input = normalise(await decodeImage(image.data), card.normalisation);
        predictProbabilities(model, input, 1);
        times.push(performance.now() - t0);
      }
      return times;
    },
    dispose: () => model.dispose(),
  };
}

const loadImages = (images: NamedImage[]): LoadImage[] =>
  images.map(({ name, type, data }) => ({ name, type, data: new Uint8Array(data) }));

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** CPU time the whole machine has spent busy, in ms (Linux /proc/stat; undefined elsewhere). */
function machineBusyMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return ((total - idle) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

async function benchGateway(
  client: LoadClient,
  url: string,
  images: LoadImage[],
  concurrency: number,
  requests: number,
) {
  // This process is the gateway: all its threads (HTTP, inference, libuv decoding) count.
  const cpu = process.cpuUsage();
  const machineBefore = machineBusyMs();
  const reply = await client.ask({ type: 'predict', url, images, concurrency, requests });
  const { user, system } = process.cpuUsage(cpu);
  const machineAfter = machineBusyMs();
  if (reply.type !== 'predicted') throw new Error(`unexpected reply ${reply.type}`);
  const gatewayMs = (user + system) / 1000;
  // Cores kept busy by other work on the machine meanwhile: figures taken beside it are low.
  const otherCores =
    machineBefore === undefined || machineAfter === undefined
      ? null
      : Math.max(0, machineAfter - machineBefore - gatewayMs - reply.cpuMs) / 1000 / reply.seconds;
  return {
    concurrency,
    requests,
    failed: reply.failed,
    seconds: reply.seconds,
    gatewayCpuMsPerRequest: gatewayMs / requests,
    otherCores,
    clientCpuMsPerRequest: reply.cpuMs / requests,
    throughput: requests / reply.seconds,
    ...summary(reply.latencies),
  };
}

/** Images, batches and inference-thread time the gateway has run so far, from its metrics. */
async function inferenceTotals(gateway: Gateway): Promise<{ images: number; batches: number; busy: number }> {
  const value = async (
    metric: { get(): Promise<{ values: { metricName?: string; value: number }[] }> },
    name: string,
  ) => (await metric.get()).values.find((v) => (v.metricName ?? name) === name)?.value ?? 0;
  return {
    images: await value(gateway.metrics.batchSize, 'visionops_inference_batch_size_sum'),
    batches: await value(gateway.metrics.batchSize, 'visionops_inference_batch_size_count'),
    busy: await value(gateway.metrics.inferenceSeconds, 'visionops_inference_busy_seconds_total'),
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

// The engine the gateway would get (ML_BACKEND, else auto's choice), in this thread and the gateway's.
const choice = await initBackend(loadConfig().ML_BACKEND);
const backend = choice.name === 'tensorflow' ? 'node' : choice.name;
const { images, real } = await sampleImages(IMAGES);
const { files, card, source } = await benchModel();
console.log(
  `model: ${source}; backend: ${choice.name}; images: ${images.length} ${real ? 'CIFAR-10 JPEGs' : 'synthetic PNGs'}`,
);

const engine = await startEngine(files, card, images);
// Engine slices taken before and after each gateway level (index i before level i, i + 1 after).
const ceilings: number[] = [];
const singles: number[][] = [];

const storage = await startTestStorage({
  ML_BACKEND: backend,
  HOST: '127.0.0.1',
  PORT: '0',
  BASELINE_MODEL_DIR: join(repoRoot, '.no-baseline'),
  // The prediction log's settings pass through, to compare serving with logging on and off.
  ...Object.fromEntries(
    ['PREDICTION_LOG_SAMPLE_RATE', 'PREDICTION_FEEDBACK_WINDOW_MINUTES', 'QUEUE_PREFIX'].flatMap((name) =>
      process.env[name] ? [[name, process.env[name]]] : [],
    ),
  ),
});
const published = await storage.registry.publish(files, card);
await storage.registry.promote(published.version, 'benchmark');
const server = await startWebServer(storage.config, createLogger('gateway', { level: 'warn' }), {
  modelsChannel: storage.channel,
});
const { url, gateway } = server;
const results = [];
const client = new LoadClient();
const prober = new LoadClient();
let health: { requests: number; failed: number; p50: number; p95: number; p99: number } | undefined;
try {
  const deadline = Date.now() + 60_000;
  while (gateway.pool.modelVersion === undefined) {
    if (Date.now() > deadline) throw new Error('the gateway did not load the model');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const payload = loadImages(images);
  await benchGateway(client, url, payload, 4, 40); // warm-up
  ceilings.push(engine.ceiling());
  singles.push(await engine.singles());
  for (const level of LEVELS) {
    // At the highest concurrency, a second client asks for /health all along: liveness must stay
    // quick while /predict is saturated.
    const probing =
      level.concurrency === PROBED_CONCURRENCY
        ? prober.ask({ type: 'probe', url, intervalMs: 10 })
        : undefined;
    const before = await inferenceTotals(gateway);
    const result = await benchGateway(client, url, payload, level.concurrency, level.requests);
    const after = await inferenceTotals(gateway);
    const images = after.images - before.images;
    results.push({
      ...result,
      meanBatch: images / (after.batches - before.batches),
      // Share of the run's wall-clock time the inference thread spent in the model, and its time
      // per image: against the in-process engine, this says whether the model thread was starved.
      inferenceBusyShare: (after.busy - before.busy) / result.seconds / storage.config.INFERENCE_THREADS,
      inferenceMsPerImage: ((after.busy - before.busy) * 1000) / images,
    });
    if (probing) {
      prober.tell({ type: 'stop' });
      const reply = await probing;
      if (reply.type !== 'probed') throw new Error(`unexpected reply ${reply.type}`);
      health = { requests: reply.latencies.length, failed: reply.failed, ...summary(reply.latencies) };
    }
    ceilings.push(engine.ceiling());
    singles.push(await engine.singles());
  }
} finally {
  engine.dispose();
  client.close();
  prober.close();
  await server.stop(1000);
  await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
  await storage.stop();
}

console.log('');
console.log(
  '| measure | concurrency | requests | failed | images/s | p50 ms | p95 ms | p99 ms | mean batch | engine around: ceiling images/s, single ms |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const levelIndex = (concurrency: number) => LEVELS.findIndex((level) => level.concurrency === concurrency);
/** The engine around gateway level `concurrency`: the slices just before and just after it. */
const around = (concurrency: number) => {
  const i = levelIndex(concurrency);
  return {
    ceiling: mean([ceilings[i]!, ceilings[i + 1]!]),
    singleMs: median([...singles[i]!, ...singles[i + 1]!]),
  };
};
const allSingles = median(singles.flat());
console.log(
  `| engine, in-process, batch ${ENGINE_BATCH} (ceiling; ${ceilings.length} slices: ${ceilings.map((c) => round(c, 0)).join(', ')}) | - | ${ceilings.length * ENGINE_BATCHES * ENGINE_BATCH} | 0 | ${round(mean(ceilings))} | - | - | - | ${ENGINE_BATCH} | - |`,
);
console.log(
  `| engine, in-process, one image (decode + predict) | 1 | ${singles.flat().length} | 0 | ${round(1000 / allSingles)} | ${round(allSingles, 2)} | - | - | 1 | - |`,
);
for (const r of results) {
  console.log(
    `| gateway over HTTP | ${r.concurrency} | ${r.requests} | ${r.failed} | ${round(r.throughput)} | ${round(r.p50, 2)} | ${round(r.p95, 2)} | ${round(r.p99, 2)} | ${round(r.meanBatch)} | ${round(around(r.concurrency).ceiling)}, ${round(around(r.concurrency).singleMs, 2)} |`,
  );
}
if (health) {
  console.log(
    `| /health while /predict runs at concurrency ${PROBED_CONCURRENCY} | 1 | ${health.requests} | ${health.failed} | - | ${round(health.p50, 2)} | ${round(health.p95, 2)} | ${round(health.p99, 2)} | - | - |`,
  );
}
console.log('');
console.log(
  "The HTTP clients run in child processes (bench/load-client.ts), not on the gateway's event loop; " +
    "they share the machine's cores with it.",
);
const c1 = results.find((r) => r.concurrency === 1)!;
const busiest = Math.max(...results.map((r) => r.otherCores ?? 0));
if (busiest > 0.1) {
  console.log(
    `Other work on the machine kept up to ${round(busiest, 2)} cores busy during the gateway runs: ` +
      'the gateway figures are low; run again on a quiet machine.',
  );
}
const c32 = results.find((r) => r.concurrency === 32)!;
console.log(
  JSON.stringify({
    bench: 'serve',
    backend: choice.name,
    model: source,
    realImages: real,
    engineCeilingImagesPerSecond: round(mean(ceilings)),
    engineCeilingSlices: ceilings.map((c) => round(c)),
    engineMsPerImage: round(1000 / mean(ceilings), 2),
    inProcessSingleImageMs: round(allSingles, 2),
    gateway: Object.fromEntries(
      results.map((r) => [
        `c${r.concurrency}`,
        {
          imagesPerSecond: round(r.throughput),
          p50Ms: round(r.p50, 2),
          p99Ms: round(r.p99, 2),
          failed: r.failed,
          meanBatch: round(r.meanBatch),
          inferenceBusyShare: round(r.inferenceBusyShare, 2),
          inferenceMsPerImage: round(r.inferenceMsPerImage, 2),
          gatewayCpuMsPerImage: round(r.gatewayCpuMsPerRequest, 2),
          clientCpuMsPerRequest: round(r.clientCpuMsPerRequest, 2),
          otherCoresBusy: r.otherCores === null ? null : round(r.otherCores, 2),
          // The engine measured just before and just after this level: what its ratios use.
          engineAroundImagesPerSecond: round(around(r.concurrency).ceiling),
          inProcessSingleAroundMs: round(around(r.concurrency).singleMs, 2),
        },
      ]),
    ),
    // Each against the engine measured just before and just after that level.
    gatewayThroughputC32OverEngineCeiling: round(c32.throughput / around(32).ceiling, 3),
    p50C1MinusInProcessSingleMs: round(c1.p50 - around(1).singleMs, 2),
    healthP99MsUnderC32: health ? round(health.p99, 2) : null,
    client: 'child process',
  }),
);
