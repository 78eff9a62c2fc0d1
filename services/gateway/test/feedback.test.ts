// Feedback end to end: the true label of a prediction by its id, every refusal with its 4xx, live
// accuracy per version, and a retrain job built from the labelled inputs (a class-folder ZIP stored
// by content, queued like an upload).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LABELS, RedisKeys, S3Keys } from '@visionops/core';
import { isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import { Readable } from 'node:stream';
import { eventually, syntheticImage } from '@visionops/testkit';
import { FeedbackStore } from '../src/feedback/feedback-store.js';
import { FeedbackCandidates, newPredictionId } from '../src/monitoring/feedback-candidates.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'feedback-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ env: { ADMIN_TOKEN, QUEUE_PREFIX: `test-${randomUUID()}` } });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
});

afterAll(async () => {
  await gw.gateway.predictionLog.flush();
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

async function predictOne(index: number): Promise<{ predictionId: string; label: string }> {
  const response = await fetch(`${gw.url}/predict`, {
    method: 'POST',
    body: imageForm('file', [{ name: 'x.png', data: await syntheticImage(index % 10, index) }]),
  });
  expect(response.status).toBe(200);
  // Feedback follows at once, before the log's next batched write: the gateway copes.
  return (await response.json()) as { predictionId: string; label: string };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
  };
}

const otherLabel = (label: string) => LABELS.find((each) => each !== label)!;

describe('POST /feedback and GET /feedback', () => {
  test('when a right and a wrong prediction get their labels, then live accuracy per version is 1 of 2', async () => {
    const right = await predictOne(1);
    const wrong = await predictOne(2);
    const first = await post('/feedback', { predictionId: right.predictionId, label: right.label });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ predicted: right.label, correct: true, imageKept: true });
    const second = await post('/feedback', {
      predictionId: wrong.predictionId,
      label: otherLabel(wrong.label),
    });
    expect(second.status).toBe(201);
    expect(second.json).toMatchObject({ correct: false, modelVersion: gw.gateway.pool.modelVersion });

    const list = (await (await fetch(`${gw.url}/feedback`)).json()) as {
      total: number;
      waiting: number;
      versions: { modelVersion: string; count: number; correct: number; accuracy: number }[];
      recent: { predictionId: string }[];
    };
    expect(list.total).toBe(2);
    expect(list.waiting).toBe(2);
    expect(list.versions).toEqual([
      { modelVersion: gw.gateway.pool.modelVersion, count: 2, correct: 1, accuracy: 0.5 },
    ]);
    expect(list.recent.map((each) => each.predictionId)).toEqual([wrong.predictionId, right.predictionId]);
  });

  test('when the same prediction gets feedback twice, then the second is a 409', async () => {
    const prediction = await predictOne(3);
    expect((await post('/feedback', { predictionId: prediction.predictionId, label: 'cat' })).status).toBe(
      201,
    );
    const again = await post('/feedback', { predictionId: prediction.predictionId, label: 'dog' });
    expect(again.status).toBe(409);
    expect(again.json.error?.code).toBe('duplicate_feedback');
  });

  test('when the prediction id is unknown, then the answer is a 404 that says which ids are accepted', async () => {
    const unknown = await post('/feedback', { predictionId: randomUUID(), label: 'cat' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error?.code).toBe('unknown_prediction');
    expect(unknown.json.error?.message).toMatch(/last 15 minutes/);
  });

  test('when the label is not a CIFAR-10 class or the id not an id, then the answer is a 400 naming the field', async () => {
    const prediction = await predictOne(4);
    const badLabel = await post('/feedback', { predictionId: prediction.predictionId, label: 'giraffe' });
    expect(badLabel.status).toBe(400);
    expect(badLabel.json.error?.message).toMatch(/label: .*airplane/);
    const badId = await post('/feedback', { predictionId: 'nope', label: 'cat' });
    expect(badId.status).toBe(400);
    expect(badId.json.error?.message).toMatch(/predictionId/);
  });
});

describe('POST /retrain/from-feedback', () => {
  test('when it is called without the admin token, then it is refused', async () => {
    expect((await post('/retrain/from-feedback', {})).status).toBe(401);
  });

  test('when labelled inputs wait, then a class-folder ZIP of them is stored by content and a retrain job queued', async () => {
    const before = (await (await fetch(`${gw.url}/feedback`)).json()) as { waiting: number };
    const started = await post('/retrain/from-feedback', { epochs: 1 }, admin);
    expect(started.status).toBe(202);
    const { jobId, sha256, images } = started.json as { jobId: string; sha256: string; images: number };
    expect(images).toBe(before.waiting);
    const job = (await (await fetch(`${gw.url}/jobs/${jobId}`)).json()) as { state: string };
    expect(job.state).toBe('queued');
    // The stored ZIP has one folder per label given, with the inputs as the model saw them.
    const zip = (await gw.storage.store.get(S3Keys.upload(sha256))).body;
    const labels: number[] = [];
    for await (const item of iterateClassFolderZip(Readable.from([zip]))) {
      expect(isSkipped(item)).toBe(false);
      if (!isSkipped(item)) labels.push(item.label);
    }
    const feedback = (await (await fetch(`${gw.url}/feedback`)).json()) as {
      recent: { label: string }[];
      waiting: number;
    };
    expect(labels.sort()).toEqual(feedback.recent.map((each) => LABELS.indexOf(each.label as never)).sort());
    expect(feedback.waiting).toBe(0);
    // Nothing left to send: a second call says so.
    const nothing = await post('/retrain/from-feedback', {}, admin);
    expect(nothing.status).toBe(409);
    expect(nothing.json.error?.code).toBe('no_feedback_waiting');
  });
});

describe('FEEDBACK_MAX_RECORDS', () => {
  test('when more feedback comes than the bound, then the oldest records go with their inputs and used marks, and the newer ones stay whole', async () => {
    const prefix = `test-${randomUUID()}`;
    const store = new FeedbackStore(
      { QUEUE_PREFIX: prefix, PREDICTION_FEEDBACK_WINDOW_MINUTES: 15, FEEDBACK_MAX_RECORDS: 3 },
      gw.storage.redis,
    );
    const redis = gw.storage.redis;
    try {
      const ids = Array.from({ length: 5 }, () => newPredictionId());
      const candidates = new FeedbackCandidates(prefix, 15);
      for (const [i, id] of ids.entries()) {
        // A logged prediction's candidate, as the prediction log writes it.
        const pipeline = redis.pipeline();
        candidates.add(
          pipeline,
          new Map([[id, { modelVersion: 'v1', label: 'cat', pixels: Buffer.alloc(3072, i) }]]),
        );
        await pipeline.exec();
        await store.record(id, i % 2 === 0 ? 'cat' : 'dog');
        if (i < 4) await store.markUsed([id]);
        // Distinct arrival times, so "oldest" is well defined.
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const list = await store.list();
      expect(list.total).toBe(3);
      expect(list.recent.map((each) => each.predictionId)).toEqual([ids[4], ids[3], ids[2]]);
      // The newest was never retrained on: it is the one waiting.
      expect(list.waiting).toBe(1);
      expect(list.versions).toEqual([{ modelVersion: 'v1', count: 3, correct: 2, accuracy: 2 / 3 }]);
      for (const id of ids.slice(0, 2)) {
        expect(await redis.exists(RedisKeys.feedbackInput(prefix, id))).toBe(0);
        expect(await redis.sismember(RedisKeys.feedbackUsed(prefix), id)).toBe(0);
      }
      for (const id of ids.slice(2)) {
        expect(await redis.getBuffer(RedisKeys.feedbackInput(prefix, id))).toHaveLength(3072);
      }
      expect(await redis.smembers(RedisKeys.feedbackUsed(prefix))).toEqual(
        expect.arrayContaining([ids[2], ids[3]]),
      );
      expect(await redis.zcard(RedisKeys.feedbackOrder(prefix))).toBe(3);
      const pending = await store.pendingZip();
      expect(pending?.ids).toEqual([ids[4]]);
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
});
