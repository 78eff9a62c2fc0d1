// `npm run bench:serve`: the in-process engine's batched throughput (the ceiling) and single-image
// latency, then the gateway's throughput and latency over HTTP at concurrency 1, 8 and 32, in one
// run. Real CIFAR-10 JPEGs from test.zip when present, synthetic images otherwise; 127.0.0.1 only.
// Prints a table, then one JSON line with the ratios.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
import { startTestStorage } from '../../core/test/registry-fixtures.js';
import { sampleImages, type NamedImage } from '../test/test-images.js';
import { startWebServer, stopWebServer } from '../src/web-server.js';

const IMAGES = 256;
const ENGINE_BATCH = 32;
const ENGINE_BATCHES = 24;
const SINGLE_RUNS = 60;
const LEVELS = [
  { concurrency: 1, requests: 150 },
  { concurrency: 8, requests: 400 },
  { concurrency: 32, requests: 800 },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

async function benchModel(): Promise<{ files: ModelFiles; card: ModelCard; source: string }> {
  const baseline = loadConfig().BASELINE_MODEL_DIR;
  if (existsSync(join(baseline, 'card.json'))) {
    const { readFile } = await import('node:fs/promises');
    const card = JSON.parse(await readFile(join(baseline, 'card.json'), 'utf8')) as ModelCard;
    return { files: await readModelFiles(baseline), card, source: baseline };
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

/** Engine ceiling: batches of pre-decoded images straight into the model, in this thread. */
async function benchEngine(files: ModelFiles, card: ModelCard, images: NamedImage[]) {
  const model = await modelFromFiles(files);
  const decoded = await Promise.all(images.map((image) => decodeImage(image.data)));
  const batch = new Float32Array(ENGINE_BATCH * PIXELS_PER_IMAGE);
  for (let i = 0; i < ENGINE_BATCH; i++)
    normalise(decoded[i % decoded.length]!, card.normalisation, batch, i * PIXELS_PER_IMAGE);
  predictProbabilities(model, batch, ENGINE_BATCH); // warm-up
  const started = performance.now();
  for (let b = 0; b < ENGINE_BATCHES; b++) predictProbabilities(model, batch, ENGINE_BATCH);
  const ceiling = (ENGINE_BATCHES * ENGINE_BATCH) / ((performance.now() - started) / 1000);

  // Single image, the whole in-process path: decode, normalise, predict.
  const singles: number[] = [];
  for (let i = 0; i < SINGLE_RUNS; i++) {
    const image = images[i % images.length]!;
    const t0 = performance.now();
    const input = normalise(await decodeImage(image.data), card.normalisation);
    predictProbabilities(model, input, 1);
    singles.push(performance.now() - t0);
  }
  model.dispose();
  return { ceiling, singleMs: median(singles) };
}

async function benchGateway(url: string, images: NamedImage[], concurrency: number, requests: number) {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < requests) {
      const image = images[next++ % images.length]!;
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(image.data)], { type: image.type }), image.name);
      const t0 = performance.now();
      const response = await fetch(`${url}/predict`, { method: 'POST', body: form });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (!response.ok) failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    requests,
    failed,
    throughput: requests / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const backend = loadConfig().ML_BACKEND === 'auto' ? 'wasm' : loadConfig().ML_BACKEND;
const choice = await initBackend(backend);
const { images, real } = await sampleImages(IMAGES);
const { files, card, source } = await benchModel();
console.log(
  `model: ${source}; backend: ${choice.name}; images: ${images.length} ${real ? 'CIFAR-10 JPEGs' : 'synthetic PNGs'}`,
);

const engine = await benchEngine(files, card, images);

const storage = await startTestStorage({
  ML_BACKEND: backend,
  HOST: '127.0.0.1',
  PORT: '0',
  BASELINE_MODEL_DIR: join(repoRoot, '.no-baseline'),
});
const published = await storage.registry.publish(files, card);
await storage.registry.promote(published.version, 'benchmark');
const { url, gateway } = await startWebServer(storage.config, createLogger('gateway', { level: 'warn' }), {
  modelsChannel: storage.channel,
});
const results = [];
try {
  const deadline = Date.now() + 60_000;
  while (gateway.pool.modelVersion === undefined) {
    if (Date.now() > deadline) throw new Error('the gateway did not load the model');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await benchGateway(url, images, 4, 40); // warm-up
  for (const level of LEVELS)
    results.push(await benchGateway(url, images, level.concurrency, level.requests));
} finally {
  await stopWebServer(1000);
  await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
  await storage.stop();
}

console.log('');
console.log('| measure | concurrency | requests | failed | images/s | p50 ms | p95 ms | p99 ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
console.log(
  `| engine, in-process, batch ${ENGINE_BATCH} (ceiling) | - | ${ENGINE_BATCHES * ENGINE_BATCH} | 0 | ${round(engine.ceiling)} | - | - | - |`,
);
console.log(
  `| engine, in-process, one image (decode + predict) | 1 | ${SINGLE_RUNS} | 0 | ${round(1000 / engine.singleMs)} | ${round(engine.singleMs, 2)} | - | - |`,
);
for (const r of results) {
  console.log(
    `| gateway over HTTP | ${r.concurrency} | ${r.requests} | ${r.failed} | ${round(r.throughput)} | ${round(r.p50, 2)} | ${round(r.p95, 2)} | ${round(r.p99, 2)} |`,
  );
}
const c1 = results.find((r) => r.concurrency === 1)!;
const c32 = results.find((r) => r.concurrency === 32)!;
console.log(
  JSON.stringify({
    bench: 'serve',
    backend: choice.name,
    model: source,
    realImages: real,
    engineCeilingImagesPerSecond: round(engine.ceiling),
    inProcessSingleImageMs: round(engine.singleMs, 2),
    gateway: Object.fromEntries(
      results.map((r) => [
        `c${r.concurrency}`,
        {
          imagesPerSecond: round(r.throughput),
          p50Ms: round(r.p50, 2),
          p99Ms: round(r.p99, 2),
          failed: r.failed,
        },
      ]),
    ),
    gatewayThroughputC32OverEngineCeiling: round(c32.throughput / engine.ceiling, 3),
    p50C1MinusInProcessSingleMs: round(c1.p50 - engine.singleMs, 2),
  }),
);
