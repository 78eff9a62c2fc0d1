// Promotion under the registry's Redis lock: two versions trained from the same parent and promoted
// at the same moment, as two trainers finishing together do, and a promotion by hand meanwhile.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisKeys } from '../src/names.js';
import { ModelRegistry } from '../src/registry/model-registry.js';
import { closeRegistryTest, openRegistryTest, type TestModel, type TestStorage } from '@visionops/testkit';

let storage: TestStorage;
let model: TestModel;

beforeAll(async () => {
  ({ storage, model } = await openRegistryTest());
});
afterAll(() => closeRegistryTest(storage));

describe('promoteIfProductionIs', () => {
  test('when two children of production are promoted at once, then exactly one goes to production and the other sees it', async () => {
    const { registry } = storage;
    const parent = await registry.publish(model.files, model.card);
    await registry.promote(parent.version, 'test seed');
    const children = await Promise.all(
      [1, 2].map(() => registry.publish(model.files, { ...model.card, parent: parent.version })),
    );

    const outcomes = await Promise.all(
      children.map((child) => registry.promoteIfProductionIs(child.version, parent.version, 'gate passed')),
    );
    const winners = children.filter((_, index) => outcomes[index]!.promoted);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.version;
    expect((await registry.getProduction())?.alias.version).toBe(winner);
    expect(outcomes.find((outcome) => !outcome.promoted)?.production).toBe(winner);

    // A retry of the winner's job finds it in production already and changes nothing.
    const before = (await registry.getProduction())?.etag;
    expect(await registry.promoteIfProductionIs(winner, parent.version, 'gate passed')).toEqual({
      promoted: true,
      production: winner,
    });
    expect((await registry.getProduction())?.etag).toBe(before);
    expect(await storage.redis.exists(RedisKeys.promotionLock(storage.store.bucket))).toBe(0);
  });

  test('when a promotion by hand comes while the lock is held, then it waits for the lock and lands after', async () => {
    const { registry, redis } = storage;
    const first = await registry.publish(model.files, model.card);
    const second = await registry.publish(model.files, model.card);
    await registry.promote(first.version, 'test seed');
    const lockKey = RedisKeys.promotionLock(storage.store.bucket);
    // Another holder, e.g. a job between its check of production and its promotion.
    await redis.set(lockKey, 'another holder', 'PX', 30_000);
    let landed = false;
    const byHand = registry.promote(second.version, 'rollback by hand').then(() => (landed = true));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(landed).toBe(false);
    expect((await registry.getProduction())?.alias.version).toBe(first.version);

    await redis.del(lockKey);
    await byHand;
    expect((await registry.getProduction())?.alias.version).toBe(second.version);
    expect(await redis.exists(lockKey)).toBe(0);
  });

  test('when a promotion stalls on S3 until its lock lapses and another promotion takes over, then the stalled one writes nothing', async () => {
    const { registry, redis, store } = storage;
    const first = await registry.publish(model.files, model.card);
    const second = await registry.publish(model.files, model.card);
    await registry.promote(first.version, 'test seed');
    const lockKey = RedisKeys.promotionLock(store.bucket);
    // A registry whose next S3 stat hangs until released, as a slow S3 would.
    let release = () => {};
    let stalled = () => {};
    const stalledAt = new Promise<void>((resolve) => (stalled = resolve));
    const slowStore = Object.create(store) as typeof store;
    slowStore.stat = async (key: string) => {
      stalled();
      await new Promise<void>((resolve) => (release = resolve));
      return store.stat(key);
    };
    const slow = new ModelRegistry({ store: slowStore, redis, channel: storage.channel });
    const stalledPromotion = slow.promote(second.version, 'stalled').then(
      () => 'written',
      (error: Error) => error.message,
    );
    await stalledAt;
    // Its lock lapses (deleted here rather than waited for) and a rollback by hand takes it.
    await redis.del(lockKey);
    await registry.promote(first.version, 'rollback by hand');
    const etag = (await registry.getProduction())?.etag;
    await redis.set(lockKey, 'yet another holder', 'PX', 30_000);
    release();

    expect(await stalledPromotion).toMatch(/lapsed before production was written; nothing changed/);
    expect((await registry.getProduction())?.alias.version).toBe(first.version);
    expect((await registry.getProduction())?.etag).toBe(etag);
    // The other holder's lock is left alone.
    expect(await redis.get(lockKey)).toBe('yet another holder');
    await redis.del(lockKey);
  });
});
