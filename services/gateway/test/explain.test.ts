// POST /predict?explain=true end to end: the real gateway with the shipped baseline model, real
// CIFAR-10 test images (synthetic ones without the dataset), the explanation thread beside the
// inference pool; what the maps show, and how explained requests stay off the answering path.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CIFAR10_NORMALISATION, decodeImage, LABELS, RedisKeys, repoRoot } from '@visionops/core';
import { predictionRecordSchema } from '../src/monitoring/prediction-record.js';
import { eventually } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';
import { sampleImages, type NamedImage } from './test-images.js';

const MAX_EXPLAINED = 3;
let gw: TestGateway;
let images: NamedImage[];

interface Explanation {
  method: string;
  class: string;
  width: number;
  height: number;
  png: string;
}
interface Answer {
  label: string;
  confidence: number;
  probabilities: Record<string, number>;
  modelVersion: string;
  predictionId: string;
  explanation?: Explanation;
}
interface ErrorBody {
  error: { code: string; message: string };
}

beforeAll(async () => {
  gw = await startTestGateway({
    withModel: false,
    env: {
      BASELINE_MODEL_DIR: join(repoRoot, 'models', 'baseline'),
      QUEUE_PREFIX: `test-${randomUUID()}`,
      EXPLAIN_MAX_IMAGES: String(MAX_EXPLAINED),
      EXPLAIN_MAX_PENDING: '1',
      PREDICT_MAX_FILES: '8',
    },
  });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined, 30_000);
  ({ images } = await sampleImages(10));
}, 60_000);

afterAll(async () => {
  const prefix = gw.gateway.config.QUEUE_PREFIX;
  const keys = await gw.storage.redis.keys(`${prefix}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

async function post(query: string, form: FormData) {
  const response = await fetch(`${gw.url}/predict${query}`, { method: 'POST', body: form });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

async function explainOne(image: NamedImage): Promise<Answer> {
  const { status, json } = await post('?explain=true', imageForm('file', [image]));
  expect(status, JSON.stringify(json)).toBe(200);
  return json as Answer;
}

/** The explanation's PNG decoded: its size, channels and alpha (the scaled saliency) per pixel. */
async function decodeExplanation(explanation: Explanation) {
  const base64 = explanation.png.replace(/^data:image\/png;base64,/, '');
  const { data, info } = await sharp(Buffer.from(base64, 'base64'))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const alpha = Float64Array.from(
    { length: info.width * info.height },
    (_, p) => data[p * info.channels + 3]!,
  );
  return { width: info.width, height: info.height, channels: info.channels, alpha };
}

/** `image` shrunk into one quadrant of a flat grey 64x64 canvas (the model sees it as 16x16 of 32x32). */
async function inQuadrant(image: NamedImage, quadrant: number): Promise<NamedImage> {
  const tile = await sharp(image.data).resize(32, 32, { fit: 'cover' }).png().toBuffer();
  const data = await sharp({
    create: { width: 64, height: 64, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .composite([{ input: tile, left: (quadrant % 2) * 32, top: Math.floor(quadrant / 2) * 32 }])
    .png()
    .toBuffer();
  return { name: `${image.name}-q${quadrant}.png`, data, type: 'image/png' };
}

const GREYED = 102;

/** 0..n-1 in a fixed shuffled order (mulberry32 and Fisher-Yates). */
function seededOrder(n: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The 32x32 input with the pixels at `positions` set to the training set's mean colour, as a PNG. */
async function greyedOut(pixels: Uint8Array, positions: readonly number[]): Promise<NamedImage> {
  const copy = Buffer.from(pixels);
  const mean = CIFAR10_NORMALISATION.mean.map((m) => Math.round(m * 255));
  for (const p of positions) copy.set(mean, p * 3);
  const data = await sharp(copy, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toBuffer();
  return { name: 'greyed.png', data, type: 'image/png' };
}

/** The share of the map's total inside the 16x16 quadrant of the 32x32 input. */
function shareInQuadrant(alpha: Float64Array, quadrant: number): number {
  let inside = 0;
  let total = 0;
  for (let p = 0; p < alpha.length; p++) {
    const [row, column] = [Math.floor(p / 32), p % 32];
    if (Math.floor(row / 16) * 2 + Math.floor(column / 16) === quadrant) inside += alpha[p]!;
    total += alpha[p]!;
  }
  return inside / total;
}

describe('POST /predict?explain=true', () => {
  test('when one image is explained, then the answer is the plain prediction plus a 32x32 RGBA PNG for its label', async () => {
    const image = images[0]!;
    const plain = (await post('', imageForm('file', [image]))).json as Answer;
    const answer = await explainOne(image);
    expect(answer.label).toBe(plain.label);
    expect(answer.modelVersion).toBe(gw.gateway.pool.modelVersion);
    const rank = (a: Answer) =>
      LABELS.toSorted((x, y) => a.probabilities[y]! - a.probabilities[x]!).slice(0, 3);
    expect(rank(answer)).toEqual(rank(plain));
    for (const label of LABELS)
      expect(answer.probabilities[label]).toBeCloseTo(plain.probabilities[label]!, 5);
    expect(answer.predictionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.predictionId).not.toBe(plain.predictionId);
    expect(plain.explanation).toBeUndefined();

    const explanation = answer.explanation!;
    expect(explanation).toMatchObject({
      method: 'integrated-gradients',
      class: answer.label,
      width: 32,
      height: 32,
    });
    const decoded = await decodeExplanation(explanation);
    expect(decoded).toMatchObject({ width: 32, height: 32, channels: 4 });
    expect(Math.max(...decoded.alpha)).toBe(255);
    expect(Math.min(...decoded.alpha)).toBeLessThan(128);
  });

  test('when several images are explained, then each result has the same label as plain predict and its own map', async () => {
    const chosen = images.slice(1, 1 + MAX_EXPLAINED);
    const plain = (await post('', imageForm('files', chosen))).json as { results: Answer[] };
    const { status, headers, json } = await post('?explain=true', imageForm('files', chosen));
    expect(status).toBe(200);
    const { results } = json as { results: Answer[] };
    expect(results.map((r) => r.label)).toEqual(plain.results.map((r) => r.label));
    expect(headers.get('x-prediction-id')).toBe(results.map((r) => r.predictionId).join(','));
    const maps = await Promise.all(results.map((r) => decodeExplanation(r.explanation!)));
    // Two different images: their maps differ over a large part of the picture.
    for (const [a, b] of [
      [0, 1],
      [1, 2],
    ] as const) {
      let differing = 0;
      for (let p = 0; p < 1024; p++) if (Math.abs(maps[a]!.alpha[p]! - maps[b]!.alpha[p]!) > 32) differing++;
      expect(differing).toBeGreaterThan(100);
    }
  });

  test('when an image fills one quadrant of a flat grey canvas, then most of the saliency falls in that quadrant', async () => {
    const shares: number[] = [];
    for (let i = 0; i < 4; i++) {
      const quadrant = i % 4;
      const answer = await explainOne(await inQuadrant(images[4 + i]!, quadrant));
      shares.push(shareInQuadrant((await decodeExplanation(answer.explanation!)).alpha, quadrant));
    }
    // A map that ignored the picture would give each quadrant 0.25.
    for (const share of shares) expect(share).toBeGreaterThan(0.4);
    expect(shares.reduce((a, b) => a + b, 0) / shares.length).toBeGreaterThan(0.5);
  }, 60_000);

  test('when the most salient tenth of the pixels is greyed out, then the explained class loses more than for a random or the least salient tenth', async () => {
    const drops = { salient: [] as number[], random: [] as number[], least: [] as number[] };
    const random = seededOrder(1024, 7).slice(0, GREYED);
    for (const image of images) {
      const answer = await explainOne(image);
      const { alpha } = await decodeExplanation(answer.explanation!);
      // Stable order on ties (clipped maxima, zeros): by saliency, then by position.
      const ranked = [...alpha.keys()].sort((a, b) => alpha[b]! - alpha[a]! || a - b);
      const pixels = await decodeImage(image.data);
      for (const [kind, positions] of [
        ['salient', ranked.slice(0, GREYED)],
        ['random', random],
        ['least', ranked.slice(-GREYED)],
      ] as const) {
        const { json } = await post('', imageForm('file', [await greyedOut(pixels, positions)]));
        drops[kind].push(answer.confidence - (json as Answer).probabilities[answer.label]!);
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const summary = JSON.stringify(drops);
    expect(mean(drops.salient), summary).toBeGreaterThan(mean(drops.random));
    expect(mean(drops.salient), summary).toBeGreaterThan(mean(drops.least) + 0.1);
  }, 60_000);

  test('when a prediction is explained, then it is logged like any other, marked as explained', async () => {
    const answer = await explainOne(images[8]!);
    await gw.gateway.predictionLog.flush();
    const key = RedisKeys.predictionLog(gw.gateway.config.QUEUE_PREFIX);
    const records = (await gw.storage.redis.xrange(key, '-', '+')).map(([, fields]) =>
      predictionRecordSchema.parse(JSON.parse(fields[1]!)),
    );
    const record = records.find((each) => each.id === answer.predictionId);
    expect(record).toMatchObject({ v: answer.modelVersion, ex: true });
    expect(record!.top[0]![0]).toBe(answer.label);
  });

  test('when explain is neither true nor false, then 400 names the allowed values', async () => {
    const { status, json } = await post('?explain=maybe', imageForm('file', [images[0]!]));
    expect(status).toBe(400);
    expect((json as ErrorBody).error.code).toBe('invalid_request');
    expect((json as ErrorBody).error.message).toMatch(/explain must be true or false/);
  });

  test('when more images than EXPLAIN_MAX_IMAGES are explained, then 400 says the limit', async () => {
    const { status, json } = await post(
      '?explain=true',
      imageForm('files', images.slice(0, MAX_EXPLAINED + 1)),
    );
    expect(status).toBe(400);
    expect((json as ErrorBody).error).toMatchObject({ code: 'too_many_files_to_explain' });
    expect((json as ErrorBody).error.message).toContain(`at most ${MAX_EXPLAINED} images`);
    // The same images without explain are within the ordinary limit.
    expect((await post('', imageForm('files', images.slice(0, MAX_EXPLAINED + 1)))).status).toBe(200);
  });

  test('when the explanation thread is busy, then further explained requests get 429 with Retry-After, and plain ones are answered meanwhile', async () => {
    const batchesBefore = await batchCount();
    const slow = post('?explain=true', imageForm('files', images.slice(0, MAX_EXPLAINED)));
    await eventually(() => gw.gateway.explainer.pending > 0);
    const refused = await post('?explain=true', imageForm('file', [images[5]!]));
    expect(refused.status).toBe(429);
    expect((refused.json as ErrorBody).error.code).toBe('explainer_busy');
    expect((refused.json as ErrorBody).error.message).toMatch(/retry/);
    expect(refused.headers.get('retry-after')).toBe('1');
    // Explained requests never went through the answering pool's batches; a plain one does, at once.
    expect(await batchCount()).toBe(batchesBefore);
    const plain = await post('', imageForm('file', [images[5]!]));
    expect(plain.status).toBe(200);
    expect(gw.gateway.explainer.pending).toBe(1);
    expect((await slow).status).toBe(200);
    expect(await batchCount()).toBe(batchesBefore + 1);
  });

  test('when many images have been explained, then the thread holds no more tensors than after the first', async () => {
    await explainOne(images[0]!);
    const before = await gw.gateway.explainer.threadStats()!;
    for (const image of images.slice(1, 6)) await explainOne(image);
    const after = await gw.gateway.explainer.threadStats()!;
    expect(after.version).toBe(before.version);
    expect(after.numTensors).toBe(before.numTensors);
  });

  test('when a new version is promoted, then explanations come from it', async () => {
    const before = gw.gateway.pool.modelVersion;
    const card = await gw.publish(2);
    await gw.storage.registry.promote(card.version, 'explain follows hot reloads');
    await eventually(() => gw.gateway.pool.modelVersion === card.version, 30_000);
    const answer = await explainOne(images[0]!);
    expect(answer.modelVersion).toBe(card.version);
    expect(answer.modelVersion).not.toBe(before);
    const plain = (await post('', imageForm('file', [images[0]!]))).json as Answer;
    expect(answer.label).toBe(plain.label);
  }, 60_000);
});

async function batchCount(): Promise<number> {
  const metric = await gw.gateway.metrics.batchSize.get();
  return metric.values.find((value) => value.metricName === 'visionops_inference_batch_size_count')!.value;
}
