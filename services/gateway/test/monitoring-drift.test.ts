// Drift detection on real data: the shipped baseline model serves CIFAR-10 test images (test.zip,
// or synthetic images when it is absent; the output says which) and GET /monitoring compares the
// live window with the reference computed from a stored evaluation set. Unchanged images raise no
// alert; grey, darkened, or single-class traffic does within 200 requests, naming its signal.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  decodeImage,
  EVALUATION_DATASET,
  LABELS,
  NUM_CLASSES,
  PIXELS_PER_IMAGE,
  repoRoot,
  S3Keys,
} from '@visionops/core';
import { encodeDatasetHeader, isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import type { DriftSignal } from '@visionops/core/monitoring';
import { darkenedJpeg, eventually, greyJpeg, realDataFile, syntheticImage } from '@visionops/testkit';
import type { MonitoringReport } from '../src/monitoring/monitoring-schemas.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const EVAL_PER_CLASS = 100;
const NORMAL_PER_CLASS = 50;
const SHIFTED_REQUESTS = 200;
const CHECK_EVERY = 25;
const ONE_CLASS = LABELS.indexOf('frog');

interface Data {
  real: boolean;
  evaluation: { images: Uint8Array[]; labels: number[] };
  normal: Buffer[];
  oneClass: Buffer[];
}

async function loadData(): Promise<Data> {
  const zip = realDataFile('test.zip');
  const evaluation = { images: [] as Uint8Array[], labels: [] as number[] };
  const normal: Buffer[] = [];
  const oneClass: Buffer[] = [];
  if (!zip) {
    for (let i = 0; i < NUM_CLASSES * EVAL_PER_CLASS; i++) {
      evaluation.images.push(await decodeImage(await syntheticImage(i % NUM_CLASSES, i)));
      evaluation.labels.push(i % NUM_CLASSES);
    }
    for (let i = 0; i < NUM_CLASSES * NORMAL_PER_CLASS; i++) {
      normal.push(await syntheticImage(i % NUM_CLASSES, 10_000 + i, { format: 'jpeg' }));
    }
    for (let i = 0; i < SHIFTED_REQUESTS; i++) {
      oneClass.push(await syntheticImage(ONE_CLASS, 20_000 + i, { format: 'jpeg' }));
    }
    return { real: false, evaluation, normal, oneClass };
  }
  const seen = new Array<number>(NUM_CLASSES).fill(0);
  const normalByClass = Array.from({ length: NUM_CLASSES }, () => [] as Buffer[]);
  for await (const item of iterateClassFolderZip(zip)) {
    if (isSkipped(item)) continue;
    const k = seen[item.label]!++;
    if (k < EVAL_PER_CLASS) {
      evaluation.images.push(await decodeImage(item.data));
      evaluation.labels.push(item.label);
    } else if (k < EVAL_PER_CLASS + NORMAL_PER_CLASS) {
      normalByClass[item.label]!.push(item.data);
    } else if (item.label === ONE_CLASS && oneClass.length < SHIFTED_REQUESTS) {
      oneClass.push(item.data);
    }
  }
  // Interleave the classes, as real traffic would be: any prefix of the list is a fair mix, so a
  // shifted prefix differs from the reference by its shift alone.
  for (let k = 0; k < NORMAL_PER_CLASS; k++) {
    for (const images of normalByClass) if (images[k]) normal.push(images[k]!);
  }
  return { real: true, evaluation, normal, oneClass };
}

let gw: TestGateway;
let data: Data;

beforeAll(async () => {
  data = await loadData();
  console.log(
    `monitoring drift test on ${data.real ? 'real CIFAR-10 images (test.zip)' : 'SYNTHETIC images (no test.zip)'}`,
  );
  gw = await startTestGateway({
    withModel: false,
    env: {
      QUEUE_PREFIX: `test-${randomUUID()}`,
      BASELINE_MODEL_DIR: join(repoRoot, 'models/baseline'),
      MONITORING_INTERVAL_MS: '0',
      INFERENCE_THREADS: '1',
    },
  });
  const { images, labels } = data.evaluation;
  const n = images.length;
  const pixels = new Uint8Array(n * PIXELS_PER_IMAGE);
  images.forEach((image, i) => pixels.set(image, i * PIXELS_PER_IMAGE));
  const dataset = { images: pixels, labels: Uint8Array.from(labels), n, skipped: [] };
  await gw.storage.store.put(
    S3Keys.dataset(EVALUATION_DATASET),
    Buffer.concat([encodeDatasetHeader(dataset), pixels, dataset.labels]),
  );
  await eventually(() => gw.gateway.pool.modelVersion !== undefined, 60_000);
}, 180_000);

afterAll(async () => {
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

async function send(images: readonly Buffer[], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < images.length) {
        const data = images[next++]!;
        const response = await fetch(`${gw.url}/predict`, {
          method: 'POST',
          body: imageForm('file', [{ name: 'x.jpg', data, type: 'image/jpeg' }]),
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    }),
  );
}

async function monitoringSince(since: string, predictions: number): Promise<MonitoringReport> {
  let report: MonitoringReport | undefined;
  await eventually(async () => {
    const response = await fetch(`${gw.url}/monitoring?since=${encodeURIComponent(since)}`);
    expect(response.status).toBe(200);
    report = (await response.json()) as MonitoringReport;
    return report.predictions >= predictions;
  }, 60_000);
  return report!;
}

async function newWindow(): Promise<string> {
  // Stream ids have millisecond resolution: start each window after the last entry of the one before.
  await gw.gateway.predictionLog.flush();
  await new Promise((resolve) => setTimeout(resolve, 5));
  return new Date().toISOString();
}

const scores = (report: MonitoringReport) =>
  Object.fromEntries((report.drift.signals ?? []).map((score) => [score.signal, score.psi]));

/** Sends the images in steps of CHECK_EVERY requests until the alert names `signal`. */
async function requestsUntilAlert(images: readonly Buffer[], signal: DriftSignal) {
  const since = await newWindow();
  for (let sent = CHECK_EVERY; sent <= images.length; sent += CHECK_EVERY) {
    await send(images.slice(sent - CHECK_EVERY, sent));
    const report = await monitoringSince(since, sent);
    if (report.drift.alert && report.drift.fired?.includes(signal)) {
      return { requests: sent, fired: report.drift.fired, scores: scores(report) };
    }
  }
  const report = await monitoringSince(since, images.length);
  return { requests: undefined, fired: report.drift.fired, scores: scores(report) };
}

const shifted = (transform: (image: Buffer) => Promise<Buffer>) => () =>
  Promise.all(data.normal.slice(0, SHIFTED_REQUESTS).map(transform));

describe('drift on live traffic', () => {
  test('when 500 unchanged test images are classified, then no drift alert is raised', async () => {
    const since = await newWindow();
    await send(data.normal);
    const report = await monitoringSince(since, data.normal.length);
    console.info(
      `unchanged: ${report.predictions} predictions, PSI ${JSON.stringify(scores(report))}, fired ${JSON.stringify(report.drift.fired)}`,
    );
    expect(report.drift.reference?.n).toBe(data.evaluation.images.length);
    expect(report.drift.enough).toBe(true);
    expect(report.drift.alert).toBe(false);
    expect(report.drift.fired).toEqual([]);
  }, 300_000);

  test.each([
    ['grayscale', 'colour', shifted(greyJpeg)],
    ['darkened', 'brightness', shifted((image) => darkenedJpeg(image, 0.35))],
    ['all one class (frog)', 'class', () => Promise.resolve(data.oneClass)],
  ] as const)(
    'when the images are %s, then the alert names %s within 200 requests',
    async (shift, signal, images) => {
      const result = await requestsUntilAlert(await images(), signal);
      console.info(
        `${shift}: alert after ${result.requests ?? 'no alert in'} requests, fired ${JSON.stringify(result.fired)}, PSI ${JSON.stringify(result.scores)}`,
      );
      expect(result.requests).toBeDefined();
      expect(result.requests).toBeLessThanOrEqual(SHIFTED_REQUESTS);
      expect(result.fired).toContain(signal);
    },
    300_000,
  );
});

describe('GET /monitoring and /metrics', () => {
  test('when the drift metrics are refreshed, then /metrics has the last hour of drift scores, classes and the confidence histogram', async () => {
    await gw.gateway.monitoring.refreshMetrics();
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    // The gauges show the production model's last hour: the same figures GET /monitoring gives for it.
    const report = (await (await fetch(`${gw.url}/monitoring?window=1h`)).json()) as MonitoringReport;
    for (const { signal, psi } of report.drift.signals ?? []) {
      expect(text).toContain(`visionops_drift_score{signal="${signal}"} ${psi}\n`);
    }
    expect(report.drift.signals).toHaveLength(5);
    expect(text).toContain(`visionops_drift_alert ${report.drift.alert ? 1 : 0}\n`);
    expect(text).toMatch(/^visionops_prediction_class_total\{label="frog"\} \d+/m);
    expect(text).toMatch(/^visionops_prediction_confidence_bucket\{le="0.5"\} \d+/m);
  });

  test('when the version has no reference and is not in service, then the report says why there are no drift scores', async () => {
    const response = await fetch(`${gw.url}/monitoring?version=v999&window=5m`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as MonitoringReport;
    expect(report.predictions).toBe(0);
    expect(report.drift.signals).toBeUndefined();
    expect(report.drift.unavailable).toMatch(/only be computed while v999 is in service/);
  });

  test('when the window is not a duration, then the answer is a 400 that says what to send', async () => {
    const response = await fetch(`${gw.url}/monitoring?window=yesterday`);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.message).toMatch(/window: a duration such as 30s/);
  });
});
