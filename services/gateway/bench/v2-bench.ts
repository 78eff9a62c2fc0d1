// `npm run bench:v2`: the same images classified through POST /predict (multipart JPEG) and through
// the Open Inference Protocol's infer route (JSON UINT8 pixels, binary UINT8 pixels, JPEGs as JSON
// BYTES and as binary BYTES), one image per request at concurrency 8, against one in-process
// gateway on 127.0.0.1 serving the baseline model. The modes take turns in rounds, so a machine
// whose speed drifts affects them alike. The HTTP client runs in a child process (bench/load-client.ts).
// Prints a table, then one JSON line with each mode's ratios to /predict.
import { join } from 'node:path';
import { createLogger, decodeImage, loadConfig, RedisKeys, repoRoot } from '@visionops/core';
import { startTestStorage } from '@visionops/testkit';
import { sampleImages } from '../test/test-images.js';
import { startWebServer } from '../src/web-server.js';
import type { FromLoadClient, PreparedBody } from './load-client.js';
import { LoadClient } from './load-client-process.js';
import { percentile } from './percentiles.js';

const IMAGES = 64;
const CONCURRENCY = 8;
const REQUESTS_PER_MODE = 400;
const ROUNDS = 4;
const WARM_UP_REQUESTS = 40;
const INFER = '/v2/models/cifar10/infer';

type ModeName = 'predict' | 'v2-json-uint8' | 'v2-binary-uint8' | 'v2-json-bytes' | 'v2-binary-bytes';

interface Mode {
  name: ModeName;
  what: string;
  path: string;
  bodies: PreparedBody[];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

const BOUNDARY = '----visionops-v2-bench';

function multipart(name: string, type: string, data: Buffer): PreparedBody {
  const body = Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`,
    ),
    data,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}

function json(request: unknown): PreparedBody {
  return { body: Buffer.from(JSON.stringify(request)), headers: { 'content-type': 'application/json' } };
}

/** A JSON header followed by binary tensor data, as the binary tensor data extension lays it out. */
function binary(header: unknown, data: Buffer): PreparedBody {
  const head = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([head, data]),
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(head.length),
    },
  };
}

function lengthPrefixed(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(data.length);
  return Buffer.concat([length, data]);
}

const config = loadConfig();
const backend = config.ML_BACKEND === 'auto' ? 'wasm' : config.ML_BACKEND;
const { images, real } = await sampleImages(IMAGES);
const pixels = await Promise.all(images.map((image) => decodeImage(image.data)));
const uint8Input = { name: 'images', shape: [1, 32, 32, 3], datatype: 'UINT8' };

const modes: Mode[] = [
  {
    name: 'predict',
    what: 'POST /predict, multipart JPEG',
    path: '/predict',
    bodies: images.map((image) => multipart(image.name, image.type, image.data)),
  },
  {
    name: 'v2-json-uint8',
    what: 'V2 infer, JSON UINT8 [1,32,32,3]',
    path: INFER,
    bodies: pixels.map((image) => json({ inputs: [{ ...uint8Input, data: Array.from(image) }] })),
  },
  {
    name: 'v2-binary-uint8',
    what: 'V2 infer, binary UINT8 [1,32,32,3], binary outputs',
    path: INFER,
    bodies: pixels.map((image) =>
      binary(
        {
          inputs: [{ ...uint8Input, parameters: { binary_data_size: image.length } }],
          parameters: { binary_data_output: true },
        },
        Buffer.from(image),
      ),
    ),
  },
  {
    name: 'v2-json-bytes',
    what: 'V2 infer, JSON BYTES [1] (base64 JPEG)',
    path: INFER,
    bodies: images.map((image) =>
      json({
        inputs: [{ name: 'images', shape: [1], datatype: 'BYTES', data: [image.data.toString('base64')] }],
      }),
    ),
  },
  {
    name: 'v2-binary-bytes',
    what: 'V2 infer, binary BYTES [1] (JPEG), binary outputs',
    path: INFER,
    bodies: images.map((image) => {
      const data = lengthPrefixed(image.data);
      return binary(
        {
          inputs: [
            { name: 'images', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: data.length } },
          ],
          parameters: { binary_data_output: true },
        },
        data,
      );
    }),
  },
];

const storage = await startTestStorage({
  ML_BACKEND: backend,
  HOST: '127.0.0.1',
  PORT: '0',
  BASELINE_MODEL_DIR: join(repoRoot, 'models', 'baseline'),
});
const server = await startWebServer(storage.config, createLogger('gateway', { level: 'warn' }), {
  modelsChannel: storage.channel,
});
const { url, gateway } = server;
const client = new LoadClient();
const measured = new Map<ModeName, { seconds: number; failed: number; latencies: number[] }>(
  modes.map((mode) => [mode.name, { seconds: 0, failed: 0, latencies: [] }]),
);

async function run(mode: Mode, requests: number): Promise<Extract<FromLoadClient, { type: 'predicted' }>> {
  const reply = await client.ask({
    type: 'post',
    url,
    path: mode.path,
    bodies: mode.bodies,
    concurrency: CONCURRENCY,
    requests,
  });
  if (reply.type !== 'predicted') throw new Error(`unexpected reply ${reply.type}`);
  return reply;
}

try {
  const deadline = Date.now() + 60_000;
  while (gateway.pool.modelVersion === undefined) {
    if (Date.now() > deadline) throw new Error('the gateway did not load the baseline model');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const mode of modes) {
    const warm = await run(mode, WARM_UP_REQUESTS);
    if (warm.failed > 0)
      throw new Error(`${mode.name}: ${warm.failed} of ${WARM_UP_REQUESTS} warm-up requests failed`);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of modes) {
      const reply = await run(mode, REQUESTS_PER_MODE / ROUNDS);
      const total = measured.get(mode.name)!;
      total.seconds += reply.seconds;
      total.failed += reply.failed;
      total.latencies.push(...reply.latencies);
    }
  }
} finally {
  client.close();
  await server.stop(1000);
  await storage.redis.del(RedisKeys.modelVersionCounter(storage.store.bucket));
  await storage.stop();
}

const results = modes.map((mode) => {
  const { seconds, failed, latencies } = measured.get(mode.name)!;
  const sorted = [...latencies].sort((a, b) => a - b);
  const meanBytes = mode.bodies.reduce((sum, each) => sum + each.body.length, 0) / mode.bodies.length;
  return {
    mode: mode.name,
    what: mode.what,
    requests: latencies.length,
    failed,
    imagesPerSecond: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requestBytes: meanBytes,
  };
});
const predict = results.find((result) => result.mode === 'predict')!;

console.log(
  `model: models/baseline; backend: ${backend}; ${images.length} ${real ? 'CIFAR-10 test JPEGs' : 'synthetic PNGs'}; ` +
    `one image per request, concurrency ${CONCURRENCY}, ${REQUESTS_PER_MODE} requests per mode in ${ROUNDS} rounds`,
);
console.log('');
console.log(
  '| mode | requests | failed | images/s | p50 ms | p99 ms | request bytes | throughput vs /predict |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.what} | ${r.requests} | ${r.failed} | ${round(r.imagesPerSecond)} | ${round(r.p50, 2)} | ${round(r.p99, 2)} | ` +
      `${round(r.requestBytes, 0)} | ${round(r.imagesPerSecond / predict.imagesPerSecond, 2)} |`,
  );
}
console.log('');
console.log(
  JSON.stringify({
    bench: 'v2',
    backend,
    realImages: real,
    concurrency: CONCURRENCY,
    modes: Object.fromEntries(
      results.map((r) => [
        r.mode,
        {
          imagesPerSecond: round(r.imagesPerSecond),
          p50Ms: round(r.p50, 2),
          p99Ms: round(r.p99, 2),
          failed: r.failed,
          requestBytes: round(r.requestBytes, 0),
        },
      ]),
    ),
    throughputVsPredict: Object.fromEntries(
      results.map((r) => [r.mode, round(r.imagesPerSecond / predict.imagesPerSecond, 3)]),
    ),
    p50VsPredict: Object.fromEntries(results.map((r) => [r.mode, round(r.p50 / predict.p50, 3)])),
  }),
);
