// Monitoring and feedback live in Redis and S3, not in a gateway's memory: a prediction answered by
// one gateway is seen by the other's GET /monitoring and takes feedback through the other.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '@visionops/core';
import { eventually, syntheticImage } from '@visionops/testkit';
import type { Gateway } from '../src/gateway.js';
import type { DriftHistory, MonitoringReport } from '../src/monitoring/monitoring-schemas.js';
import { startWebServer, type WebServer } from '../src/web-server.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

let first: TestGateway;
let second: Gateway;
let server: WebServer;
let secondUrl: string;

beforeAll(async () => {
  first = await startTestGateway({ env: { QUEUE_PREFIX: `test-${randomUUID()}` } });
  // The second gateway: the same configuration (Redis, S3, prefix), its own process state.
  server = await startWebServer(first.gateway.config, createLogger('second', { level: 'silent' }), {
    modelsChannel: first.storage.channel,
  });
  second = server.gateway;
  secondUrl = server.url;
  await eventually(
    () => first.gateway.pool.modelVersion !== undefined && second.pool.modelVersion !== undefined,
  );
});

afterAll(async () => {
  await server.stop(1000);
  const keys = await first.storage.redis.keys(`${first.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await first.storage.redis.del(...keys);
  await first.stop();
});

test('when the first gateway answers, then the second reports the prediction and takes its feedback', async () => {
  const since = new Date().toISOString();
  const response = await fetch(`${first.url}/predict`, {
    method: 'POST',
    body: imageForm('file', [{ name: 'a.png', data: await syntheticImage(2, 7) }]),
  });
  const { predictionId, label } = (await response.json()) as { predictionId: string; label: string };

  // Feedback through the other gateway, at once: it waits for the first one's batched write.
  const feedback = await fetch(`${secondUrl}/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ predictionId, label }),
  });
  expect(feedback.status).toBe(201);

  const report = (await (
    await fetch(`${secondUrl}/monitoring?since=${encodeURIComponent(since)}`)
  ).json()) as MonitoringReport;
  expect(report.predictions).toBe(1);
  expect(report.classes.find((each) => each.label === label)?.count).toBe(1);

  const list = (await (await fetch(`${first.url}/feedback`)).json()) as { total: number; waiting: number };
  expect(list).toMatchObject({ total: 1, waiting: 1 });

  // Drift over time comes from the shared log too: both gateways give the same buckets.
  const [fromFirst, fromSecond] = await Promise.all(
    [first.url, secondUrl].map(async (url) => {
      const history = (await (
        await fetch(`${url}/monitoring/history?window=2m&step=1m`)
      ).json()) as DriftHistory;
      return history.buckets.map((bucket) => [bucket.predictions, bucket.alert, bucket.scores]);
    }),
  );
  expect(fromFirst!.reduce((sum, bucket) => sum + (bucket[0] as number), 0)).toBeGreaterThanOrEqual(1);
  expect(fromSecond).toEqual(fromFirst);
});
