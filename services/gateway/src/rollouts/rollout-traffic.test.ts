// The answering path under a rollout, with stand-in pools: a shadow answers without waiting for the
// candidate, its background queue is bounded and drops (and counts) what does not fit, it skips (and
// counts) samples while production is busy, a failing shadow never fails an answer, and a failing
// canary candidate is answered by production.
import type { Request } from 'express';
import { describe, expect, test } from 'vitest';
import { createLogger, NUM_CLASSES } from '@visionops/core';
import { rolloutSchema, type Rollout, type RolloutRole } from '@visionops/core/registry';
import type { InferencePool, Prediction } from '../inference/inference-pool.js';
import type { RolloutFollower } from './rollout-follower.js';
import type { Observation, RolloutStatsRecorder } from './rollout-stats.js';
import { RolloutTraffic } from './rollout-traffic.js';

const logger = createLogger('test', { level: 'silent' });

function answer(version: string, label: number, images: number): Prediction {
  const probabilities = Array.from({ length: images }, () => {
    const p = new Float32Array(NUM_CLASSES).fill(0.01);
    p[label] = 0.91;
    return p;
  });
  return { version, probabilities };
}

/** A pool that answers `label` at once, or holds every call until release() when `held`. */
function standInPool(version: string, label: number, behaviour: 'answer' | 'hold' | 'fail' = 'answer') {
  const waiting: (() => void)[] = [];
  const pool = {
    modelVersion: version,
    /** Whether other requests wait or run on this pool (read by a shadow scoring only when idle). */
    idle: true,
    calls: 0,
    predict(images: readonly Uint8Array[]): Promise<Prediction> {
      pool.calls++;
      if (behaviour === 'fail') return Promise.reject(new Error('candidate broke'));
      if (behaviour === 'answer') return Promise.resolve(answer(version, label, images.length));
      return new Promise((resolve) => waiting.push(() => resolve(answer(version, label, images.length))));
    },
    release() {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
  return pool;
}

class RecordingStats {
  observations: { role: RolloutRole; observation: Observation }[] = [];
  compared = 0;
  agreed = 0;
  drops = 0;
  skips = 0;
  observe(_id: string, role: RolloutRole, observation: Observation) {
    this.observations.push({ role, observation });
  }
  compare(_id: string, _version: string, compared: number, agreed: number) {
    this.compared += compared;
    this.agreed += agreed;
  }
  dropped() {
    this.drops++;
  }
  skipped() {
    this.skips++;
  }
}

function rolloutOf(mode: 'shadow' | 'canary', percent: number): Rollout {
  return rolloutSchema.parse({
    id: 'rtest',
    candidate: 'v2',
    baseline: 'v1',
    mode,
    percent,
    mirrorPercent: 100,
    criteria: {},
    startedAt: new Date().toISOString(),
    startReason: 'test',
  });
}

function setUp(
  mode: 'shadow' | 'canary',
  candidate: ReturnType<typeof standInPool>,
  backgroundQueue = 4,
  shadowOnlyWhenIdle = true,
) {
  const production = standInPool('v1', 3);
  const stats = new RecordingStats();
  const active = { rollout: rolloutOf(mode, 100), pool: candidate as unknown as InferencePool, inFlight: 0 };
  const traffic = new RolloutTraffic({
    production: production as unknown as InferencePool,
    follower: { active } as unknown as RolloutFollower,
    stats: stats as unknown as RolloutStatsRecorder,
    backgroundQueue,
    shadowOnlyWhenIdle,
    logger,
  });
  const request = { get: () => 'client-1', ip: '127.0.0.1' } as unknown as Request;
  return { production, stats, active, traffic, request };
}

const image = new Uint8Array(32 * 32 * 3);

describe('rollout traffic', () => {
  test('when the shadow candidate is stuck, then answers come from production at once and the queue holds at most its bound', async () => {
    const candidate = standInPool('v2', 3, 'hold');
    const { stats, active, traffic, request } = setUp('shadow', candidate, 4);
    for (let i = 0; i < 10; i++) {
      const prediction = await traffic.targetFor(request).predict([image]);
      expect(prediction.version).toBe('v1');
      expect(traffic.backgroundImages).toBeLessThanOrEqual(4);
    }
    expect(candidate.calls).toBe(4);
    expect(stats.drops).toBe(6);
    expect(active.inFlight).toBe(4);
    candidate.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(traffic.backgroundImages).toBe(0);
    expect(active.inFlight).toBe(0);
    expect({ compared: stats.compared, agreed: stats.agreed }).toEqual({ compared: 4, agreed: 4 });
    expect(stats.observations.filter((o) => o.role === 'candidate')).toHaveLength(4);
  });

  test('when production is busy as an answer is known, then the shadow skips that sample and counts it, and scores the next one once production is idle', async () => {
    const candidate = standInPool('v2', 3);
    const { production, stats, traffic, request } = setUp('shadow', candidate);
    production.idle = false;
    for (let i = 0; i < 3; i++)
      expect((await traffic.targetFor(request).predict([image])).version).toBe('v1');
    expect({ calls: candidate.calls, skips: stats.skips }).toEqual({ calls: 0, skips: 3 });
    production.idle = true;
    await traffic.targetFor(request).predict([image, image]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect({ calls: candidate.calls, skips: stats.skips, drops: stats.drops }).toEqual({
      calls: 1,
      skips: 3,
      drops: 0,
    });
    expect({ compared: stats.compared, agreed: stats.agreed }).toEqual({ compared: 2, agreed: 2 });
  });

  test('when scoring only while idle is off, then the shadow scores while production is busy', async () => {
    const candidate = standInPool('v2', 3);
    const { production, stats, traffic, request } = setUp('shadow', candidate, 4, false);
    production.idle = false;
    await traffic.targetFor(request).predict([image]);
    expect({ calls: candidate.calls, skips: stats.skips }).toEqual({ calls: 1, skips: 0 });
  });

  test('when the shadow candidate fails, then the answer still succeeds and the failure counts against the candidate', async () => {
    const { stats, traffic, request } = setUp('shadow', standInPool('v2', 5, 'fail'));
    expect((await traffic.targetFor(request).predict([image])).version).toBe('v1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(stats.observations).toContainEqual({
      role: 'candidate',
      observation: { version: 'v2', images: 1, failed: true },
    });
    expect(stats.compared).toBe(0);
  });

  test('when a canary candidate answers, then modelVersion is the candidate and production scores it in the background; when it fails, production answers', async () => {
    const good = setUp('canary', standInPool('v2', 5));
    const target = good.traffic.targetFor(good.request);
    expect(target.modelVersion).toBe('v2');
    expect((await target.predict([image, image])).version).toBe('v2');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(good.production.calls).toBe(1);
    expect({ compared: good.stats.compared, agreed: good.stats.agreed }).toEqual({ compared: 2, agreed: 0 });

    const broken = setUp('canary', standInPool('v2', 5, 'fail'));
    expect((await broken.traffic.targetFor(broken.request).predict([image])).version).toBe('v1');
    expect(broken.stats.observations).toContainEqual({
      role: 'candidate',
      observation: { version: 'v2', images: 1, failed: true },
    });
  });
});
