// The rollout object in the registry against the real S3 protocol and the real Redis: start, the
// announcement, the refusals, promote and abort under the promotion lock, and the history.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S3Keys } from '../src/names.js';
import {
  parseModelEvent,
  RolloutRegistry,
  RolloutStateError,
  type ModelEvent,
} from '../src/registry/index.js';
import { closeRegistryTest, openRegistryTest, type TestModel, type TestStorage } from '@visionops/testkit';

let storage: TestStorage;
let model: TestModel;
let rollouts: RolloutRegistry;
let subscriber: Redis;
const events: ModelEvent[] = [];
let production: string;
let candidate: string;

beforeAll(async () => {
  ({ storage, model } = await openRegistryTest());
  rollouts = new RolloutRegistry(storage.registry, storage.redis);
  subscriber = new Redis(storage.config.REDIS_URL);
  subscriber.on('message', (_channel: string, message: string) => {
    const event = parseModelEvent(message);
    if (event) events.push(event);
  });
  await subscriber.subscribe(storage.channel);
  production = (await storage.registry.publish(model.files, model.card)).version;
  await storage.registry.promote(production, 'test setup');
  candidate = (await storage.registry.publish(model.files, model.card)).version;
});
afterAll(async () => {
  subscriber.disconnect();
  await closeRegistryTest(storage);
});

async function nextEvent(predicate: (event: ModelEvent) => boolean): Promise<ModelEvent> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = events.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no such event within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('rollout registry', () => {
  test('when no rollout runs, then current() is undefined and finishing one is refused', async () => {
    expect(await rollouts.current()).toBeUndefined();
    expect(await rollouts.etag()).toBeUndefined();
    await expect(
      rollouts.finish({ id: 'rx', outcome: 'aborted', reason: 'x', decidedBy: 'admin', stats: null }),
    ).rejects.toMatchObject({ code: 'no_rollout' });
  });

  test('when the candidate is production or does not exist, then the start is refused', async () => {
    await expect(
      rollouts.start({ candidate: production, mode: 'canary', percent: 10 }),
    ).rejects.toBeInstanceOf(RolloutStateError);
    await expect(rollouts.start({ candidate: 'v999', mode: 'canary', percent: 10 })).rejects.toThrow(
      /does not exist/,
    );
  });

  test('when a rollout starts, then models/rollout.json holds it with defaults, it is announced, and a second start is refused', async () => {
    const started = await rollouts.start({ candidate, mode: 'shadow', percent: 50, reason: 'try it' });
    expect(started).toMatchObject({
      candidate,
      baseline: production,
      mode: 'shadow',
      percent: 50,
      startReason: 'try it',
    });
    expect(started.criteria).toMatchObject({ minRequests: 500, maxErrorRate: 0.01, autoPromote: true });
    expect(await storage.store.stat(S3Keys.rollout)).toBeDefined();
    expect((await rollouts.current())?.rollout).toEqual(started);
    await nextEvent(
      (event) => event.type === 'rollout' && event.id === started.id && event.action === 'started',
    );
    await expect(rollouts.start({ candidate, mode: 'canary', percent: 5 })).rejects.toMatchObject({
      code: 'rollout_in_progress',
    });
  });

  test('when an old rollout id is finished, then nothing changes; when the current one is aborted, then production stays and the history has it', async () => {
    const running = (await rollouts.current())!.rollout;
    await expect(
      rollouts.finish({ id: 'rold', outcome: 'promoted', reason: 'x', decidedBy: 'criteria', stats: null }),
    ).rejects.toMatchObject({ code: 'rollout_changed' });
    const record = await rollouts.finish({
      id: running.id,
      outcome: 'aborted',
      reason: 'by hand',
      decidedBy: 'admin',
      stats: null,
    });
    expect(record).toMatchObject({
      id: running.id,
      outcome: 'aborted',
      reason: 'by hand',
      decidedBy: 'admin',
    });
    expect(await rollouts.current()).toBeUndefined();
    expect((await storage.registry.getProduction())?.alias.version).toBe(production);
    await nextEvent(
      (event) => event.type === 'rollout' && event.id === running.id && event.action === 'ended',
    );
  });

  test('when a rollout is promoted, then the candidate is production, announced, and the history lists it first', async () => {
    const started = await rollouts.start({ candidate, mode: 'canary', percent: 20 });
    const stats = {
      production: {
        version: production,
        requests: 80,
        errors: 0,
        dropped: 0,
        skipped: 0,
        errorRate: 0,
        p50Ms: 5,
        p99Ms: 10,
        meanConfidence: 0.5,
        compared: 0,
        agreement: null,
      },
      candidate: {
        version: candidate,
        requests: 20,
        errors: 0,
        dropped: 0,
        skipped: 0,
        errorRate: 0,
        p50Ms: 5,
        p99Ms: 10,
        meanConfidence: 0.5,
        compared: 5,
        agreement: 1,
      },
    };
    await rollouts.finish({
      id: started.id,
      outcome: 'promoted',
      reason: 'criteria met',
      decidedBy: 'criteria',
      stats,
    });
    const alias = (await storage.registry.getProduction())!.alias;
    expect(alias.version).toBe(candidate);
    expect(alias.reason).toContain('criteria met');
    await nextEvent((event) => event.type === 'promoted' && event.version === candidate);
    const history = await rollouts.history();
    expect(history.map((record) => record.outcome)).toEqual(['promoted', 'aborted']);
    expect(history[0]).toMatchObject({ id: started.id, stats });
  });
});
