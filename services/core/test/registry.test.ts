// The model registry against the real S3 protocol (embedded server) and the real Redis.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisKeys, S3Keys } from '../src/names.js';
import {
  ModelRegistry,
  NotFoundError,
  parseModelEvent,
  UploadMismatchError,
  UploadStore,
  type PublishedCard,
} from '../src/registry/index.js';
import {
  closeRegistryTest,
  openRegistryTest,
  startTestStorage,
  type TestModel,
  type TestStorage,
} from '@visionops/testkit';

let storage: TestStorage;
let model: TestModel;

beforeAll(async () => {
  ({ storage, model } = await openRegistryTest());
});
afterAll(() => closeRegistryTest(storage));

describe('model registry', () => {
  test('when the registry is empty, then list() has no versions and no production', async () => {
    expect(await storage.registry.list()).toEqual({ versions: [], production: null });
    expect(await storage.registry.getProduction()).toBeUndefined();
  });

  test('when a model is published, then it is listed with its card and its files read back', async () => {
    const card = await storage.registry.publish(model.files, model.card);
    expect(card.version).toMatch(/^v\d+$/);
    expect(card.sizeBytes).toBe(model.files.modelJson.length + model.files.weightsBin.length);
    const { versions } = await storage.registry.list();
    expect(versions.map((entry) => entry.version)).toContain(card.version);
    expect(await storage.registry.getCard(card.version)).toEqual(card);
    const files = await storage.registry.getFiles(card.version);
    expect(files.weightsBin.equals(model.files.weightsBin)).toBe(true);
    expect(files.modelJson.equals(model.files.modelJson)).toBe(true);
  });

  test('when only model.json and weights.bin exist (publish not finished), then the version is invisible', async () => {
    const partial = 'v900';
    await storage.store.put(S3Keys.modelFile(partial, 'model.json'), model.files.modelJson);
    await storage.store.put(S3Keys.modelFile(partial, 'weights.bin'), model.files.weightsBin);
    const { versions } = await storage.registry.list();
    expect(versions.map((entry) => entry.version)).not.toContain(partial);
    await expect(storage.registry.getFiles(partial)).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.registry.promote(partial, 'test')).rejects.toBeInstanceOf(NotFoundError);
    // An unfinished version still reserves its id: the next publish never reuses it.
    const next = await storage.registry.publish(model.files, model.card);
    expect(Number(next.version.slice(1))).toBeGreaterThan(900);
  });

  test('when several publishers allocate at once, then every version id is distinct and monotonic', async () => {
    // Separate connections, as separate trainer processes would have.
    const connections = Array.from({ length: 4 }, () => new Redis(storage.config.REDIS_URL));
    try {
      const registries = connections.map(
        (redis) => new ModelRegistry({ store: storage.store, redis, channel: storage.channel }),
      );
      const before = (await storage.registry.list()).versions.length;
      const published = await Promise.all(
        registries.flatMap((registry) => [1, 2].map(() => registry.publish(model.files, model.card))),
      );
      const ids = published.map((card) => card.version);
      expect(new Set(ids).size).toBe(ids.length);
      const { versions } = await storage.registry.list();
      expect(versions).toHaveLength(before + ids.length);
      const numbers = versions.map((card: PublishedCard) => Number(card.version.slice(1)));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    } finally {
      await Promise.all(connections.map((redis) => redis.quit()));
    }
  });

  test('when the Redis counter is lost, then the next id continues after the highest one in S3', async () => {
    const counter = RedisKeys.modelVersionCounter(storage.store.bucket);
    const { versions } = await storage.registry.list();
    const highest = Math.max(...versions.map((card) => Number(card.version.slice(1))));
    await storage.redis.del(counter);
    const card = await storage.registry.publish(model.files, model.card);
    expect(card.version).toBe(`v${highest + 1}`);
  });

  test('when a version is promoted, then production points at it and subscribers hear about it', async () => {
    const { versions } = await storage.registry.list();
    const target = versions[0]!.version;
    const subscriber = new Redis(storage.config.REDIS_URL);
    try {
      const heard = new Promise<string>((resolve) =>
        subscriber.on('message', (_channel, message: string) => resolve(message)),
      );
      await subscriber.subscribe(storage.channel);
      const before = await storage.registry.productionEtag();
      const alias = await storage.registry.promote(target, 'first release');
      expect(alias).toMatchObject({ version: target, reason: 'first release' });
      expect(parseModelEvent(await heard)).toEqual({ type: 'promoted', version: target });
      const production = await storage.registry.getProduction();
      expect(production?.alias).toEqual(alias);
      expect(production?.etag).toBe(await storage.registry.productionEtag());
      expect(production?.etag).not.toBe(before);
      expect((await storage.registry.list()).production).toEqual(alias);
    } finally {
      await subscriber.quit();
    }
  });

  test('when an unknown or malformed version is asked for, then NotFoundError names it', async () => {
    await expect(storage.registry.getCard('v99999')).rejects.toThrow(/v99999 does not exist/);
    await expect(storage.registry.getCard('../etc')).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.registry.promote('v99999', 'x')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('seedFromDirectory', () => {
  test('when two processes seed an empty registry at once, then exactly one version is published and promoted', async () => {
    const fresh = await startTestStorage();
    const dir = mkdtempSync(join(tmpdir(), 'visionops-baseline-'));
    const other = new Redis(fresh.config.REDIS_URL);
    try {
      writeFileSync(join(dir, 'model.json'), model.files.modelJson);
      writeFileSync(join(dir, 'weights.bin'), model.files.weightsBin);
      writeFileSync(join(dir, 'card.json'), JSON.stringify(model.card));
      const second = new ModelRegistry({ store: fresh.store, redis: other, channel: fresh.channel });
      const outcomes = await Promise.all([
        fresh.registry.seedFromDirectory(dir),
        second.seedFromDirectory(dir),
      ]);
      expect(outcomes.filter((outcome) => outcome.outcome === 'seeded')).toHaveLength(1);
      const { versions, production } = await fresh.registry.list();
      expect(versions).toHaveLength(1);
      expect(production?.version).toBe(versions[0]!.version);
      expect(await fresh.registry.seedFromDirectory(dir)).toEqual({
        outcome: 'skipped',
        reason: 'registry_not_empty',
      });
    } finally {
      await other.quit();
      await closeRegistryTest(fresh);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('when the directory has no model, then nothing is seeded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'visionops-empty-'));
    try {
      expect(await storage.registry.seedFromDirectory(dir)).toEqual({
        outcome: 'skipped',
        reason: 'no_model_in_directory',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('upload store', () => {
  test('when the same ZIP is stored twice, then it is kept once under its sha256', async () => {
    const uploads = new UploadStore(storage.store);
    const zip = Buffer.from('PK\u0003\u0004 pretend zip');
    const first = await uploads.storeBytes(zip, 'zip');
    expect(first).toMatchObject({ created: true, key: `uploads/${first.sha256}.zip` });
    expect((await uploads.storeBytes(zip, 'zip')).created).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'visionops-upload-'));
    try {
      const ref = { key: first.key, sha256: first.sha256, maxBytes: 1024 };
      expect(await uploads.download(ref, join(dir, 'a.zip'))).toBe(zip.length);
      expect(readFileSync(join(dir, 'a.zip')).equals(zip)).toBe(true);
      // Gone, too large, or not what its name says: each a mismatch that asks for the upload again.
      const missing = { ...ref, key: `uploads/${'0'.repeat(64)}.zip`, sha256: '0'.repeat(64) };
      await expect(uploads.download(missing, join(dir, 'b.zip'))).rejects.toThrow(
        /not stored.*upload the file again/,
      );
      await expect(uploads.download({ ...ref, maxBytes: 4 }, join(dir, 'c.zip'))).rejects.toBeInstanceOf(
        UploadMismatchError,
      );
      await storage.store.put(first.key, Buffer.from('tampered'), 'application/zip');
      await expect(uploads.download(ref, join(dir, 'd.zip'))).rejects.toThrow(/hashes to/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
