// /ready, /metrics, /openapi.json and /docs: what operators and API clients read about the gateway.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  const form = imageForm('file', [{ name: 'a.png', data: await syntheticImage(5, 5) }]);
  expect((await fetch(`${gw.url}/predict`, { method: 'POST', body: form })).status).toBe(200);
});
afterAll(async () => {
  await gw.stop();
});

describe('operations endpoints', () => {
  test('when a model is loaded and Redis and S3 answer, then /ready is 200 with the version and backend', async () => {
    const response = await fetch(`${gw.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      modelVersion: gw.gateway.pool.modelVersion,
      backend: 'wasm',
      // ML_BACKEND=wasm names one candidate, so none was passed over.
      backendSkipped: [],
      checks: { model: 'ok', redis: 'ok', s3: 'ok', backend: 'ok' },
      reasons: [],
    });
  });

  test('when /metrics is scraped, then requests, predictions, batches, swaps, backend and Node.js metrics are there', async () => {
    const response = await fetch(`${gw.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    const version = gw.gateway.pool.modelVersion!;
    expect(text).toMatch(
      /visionops_http_request_duration_seconds_count\{route="\/predict",method="POST",status="200"\} 1/,
    );
    expect(text).toMatch(
      new RegExp(`visionops_predictions_total\\{label="\\w+",model_version="${version}"\\} 1`),
    );
    expect(text).toMatch(/visionops_inference_batch_size_count [1-9]/);
    expect(text).toMatch(/visionops_model_swaps_total 1/);
    expect(text).toMatch(/visionops_model_load_seconds_count 1/);
    expect(text).toMatch(/visionops_model_load_failures_total 0/);
    expect(text).toMatch(/visionops_ml_backend_info\{backend="wasm"\} 1/);
    expect(text).toMatch(new RegExp(`visionops_model_info\\{model_version="${version}"\\} 1`));
    expect(text).toMatch(/process_resident_memory_bytes/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds/);
  });

  test('when a URL does not match a route, then its metric label is "unmatched", not the raw path', async () => {
    await fetch(`${gw.url}/models/v1/../../etc/passwd-${Date.now()}`);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).not.toMatch(/passwd/);
    expect(text).toMatch(/route="unmatched"/);
  });
});

describe('API documentation', () => {
  test('when /openapi.json is fetched, then it is OpenAPI 3.1 describing every route with its schemas', async () => {
    const document = (await (await fetch(`${gw.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { schema: { pattern?: string } }[];
            security?: unknown;
            requestBody?: { content: Record<string, unknown> };
          }
        >
      >;
    };
    expect(document.openapi).toBe('3.1.0');
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /health',
        'GET /ready',
        'POST /predict',
        'GET /models',
        'GET /models/{version}',
        'POST /models/{version}/promote',
        'GET /metrics',
        'GET /openapi.json',
        'GET /docs',
      ]),
    );
    const promote = document.paths['/models/{version}/promote']!.post!;
    expect(promote.security).toEqual([{ adminToken: [] }]);
    expect(promote.parameters?.[0]?.schema.pattern).toBeDefined();
    expect(Object.keys(document.paths['/predict']!.post!.requestBody!.content)).toEqual([
      'multipart/form-data',
    ]);
  });

  test('when /docs is opened, then a self-contained HTML page lists the routes', async () => {
    const response = await fetch(`${gw.url}/docs`);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('/models/{version}/promote');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });
});
