// The Open Inference Protocol routes of a gateway with no model yet (an empty registry and no
// baseline), and their rate limit: /predict's own counter, answered in the protocol's error shape.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PIXELS_PER_IMAGE } from '@visionops/core';
import { syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const INFER = '/v2/models/cifar10/infer';
const oneImage = {
  name: 'images',
  shape: [1, 32, 32, 3],
  datatype: 'UINT8',
  data: Array.from({ length: PIXELS_PER_IMAGE }, (_, i) => i % 256),
};

describe('V2 without a model, and its rate limit', () => {
  let empty: TestGateway;
  beforeAll(async () => {
    empty = await startTestGateway({
      withModel: false,
      env: { QUEUE_PREFIX: `test-${randomUUID()}`, RATE_LIMIT_PREDICT_PER_MINUTE: '2' },
    });
  });
  afterAll(async () => {
    const keys = await empty.storage.redis.keys(`${empty.gateway.config.QUEUE_PREFIX}:*`);
    if (keys.length > 0) await empty.storage.redis.del(...keys);
    await empty.stop();
  });

  test('when no model is loaded, then ready is false with 503 and infer answers 503 {"error"}; past the /predict rate limit, 429', async () => {
    const ready = await fetch(`${empty.url}/v2/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false });
    const modelReady = await fetch(`${empty.url}/v2/models/cifar10/ready`);
    expect(modelReady.status).toBe(503);
    const infer = () =>
      fetch(`${empty.url}${INFER}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [oneImage] }),
      }).then(async (response) => ({
        status: response.status,
        json: (await response.json()) as Record<string, unknown>,
      }));
    const first = await infer();
    expect(first.status).toBe(503);
    expect(Object.keys(first.json)).toEqual(['error']);
    expect(first.json.error).toMatch(/no model is loaded/);
    // The limit is /predict's own counter: one /predict and one infer use up two.
    await fetch(`${empty.url}/predict`, {
      method: 'POST',
      body: imageForm('file', [{ name: 'x.png', data: await syntheticImage(1, 1) }]),
    });
    const limited = await infer();
    expect(limited.status).toBe(429);
    expect(Object.keys(limited.json)).toEqual(['error']);
    expect(limited.json.error).toMatch(/too many/);
  });
});
