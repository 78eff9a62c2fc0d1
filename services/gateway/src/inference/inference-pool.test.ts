// The pool's `idle` as its callers see it when their answer arrives: free when nothing else waits
// or runs, busy when another request is still queued or on a thread (what a shadow that scores
// only while production is idle relies on). One real worker thread with a small model.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, PIXELS_PER_IMAGE } from '@visionops/core';
import { buildTestModel, useCpuBackend } from '@visionops/testkit';
import { InferencePool } from './inference-pool.js';

let pool: InferencePool;
const image = new Uint8Array(PIXELS_PER_IMAGE).fill(100);

beforeAll(async () => {
  await useCpuBackend();
  const { files, card } = await buildTestModel(1);
  pool = new InferencePool({
    threads: 1,
    backend: 'wasm',
    // One image per batch, so two requests sent together run one after the other.
    batchMaxSize: 1,
    batchMaxWaitMs: 0,
    logger: createLogger('inference-pool-test', { level: 'silent' }),
  });
  await pool.start();
  await pool.loadModel('v1', files, card.normalisation);
}, 60_000);

afterAll(async () => {
  await pool?.close();
});

describe('inference pool idle', () => {
  test('when the only request is answered, then its caller finds the pool idle', async () => {
    const pending = pool.predict([image]);
    expect(pool.idle).toBe(false);
    await pending;
    expect(pool.idle).toBe(true);
  });

  test('when a second request waits behind the first, then the first caller finds the pool busy and the second finds it idle', async () => {
    const idleWhenAnswered: boolean[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        await pool.predict([image]);
        idleWhenAnswered.push(pool.idle);
      }),
    );
    expect(idleWhenAnswered).toEqual([false, true]);
  });
});
