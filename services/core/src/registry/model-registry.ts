// The model registry on S3: versioned models (model.json, weights.bin, card.json), the production
// alias, promotion (with its Redis announcement) and seeding from the baseline model on disk.
// Publishing writes card.json last, and only versions with a card exist for readers.
import { randomUUID } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ModelCard } from '../model/model-card.js';
import type { ModelFiles } from '../model/model-files.js';
import { CHANNEL_MODELS, modelVersionNumber, modelVersionOfKey, RedisKeys, S3Keys } from '../names.js';
import type { ModelEvent } from './model-events.js';
import type { ObjectStore } from './object-store.js';
import { modelVersionNotFound, NotFoundError } from './registry-errors.js';
import { allocateModelVersion } from './version-allocator.js';

/** The card of a published version: the registry has set its version and size. */
export type PublishedCard = ModelCard & { version: string; sizeBytes: number };

export interface ProductionAlias {
  version: string;
  promotedAt: string;
  reason: string;
}

export interface RegistryListing {
  /** Published versions, oldest first. */
  versions: PublishedCard[];
  production: ProductionAlias | null;
}

export type SeedOutcome =
  | { outcome: 'seeded'; version: string }
  | { outcome: 'skipped'; reason: 'no_model_in_directory' | 'registry_not_empty' | 'seeding_elsewhere' };

export interface ModelRegistryOptions {
  store: ObjectStore;
  redis: Redis;
  /** Channel on which promotions are announced; CHANNEL_MODELS by default (tests use their own). */
  channel?: string;
  logger?: Logger;
}

const SEED_LOCK_MS = 120_000;
const PROMOTION_LOCK_MS = 30_000;
const PROMOTION_LOCK_WAIT_MS = 60_000;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
/** Renews a lock only while it is still this holder's: 1, or 0 when it lapsed. */
const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

export class ModelRegistry {
  readonly store: ObjectStore;
  readonly channel: string;
  private readonly redis: Redis;
  private readonly logger: Logger | undefined;

  constructor(options: ModelRegistryOptions) {
    this.store = options.store;
    this.redis = options.redis;
    this.channel = options.channel ?? CHANNEL_MODELS;
    this.logger = options.logger;
  }

  /**
   * Stores a new version and returns its card. model.json and weights.bin go first and card.json
   * last, so a reader never sees a version whose files are incomplete. Does not promote it.
   */
  async publish(files: ModelFiles, card: ModelCard): Promise<PublishedCard> {
    const version = await allocateModelVersion(
      this.redis,
      RedisKeys.modelVersionCounter(this.store.bucket),
      await this.highestVersionInStorage(),
    );
    const published: PublishedCard = {
      ...card,
      version,
      sizeBytes: files.modelJson.length + files.weightsBin.length,
    };
    await Promise.all([
      this.store.put(S3Keys.modelFile(version, 'model.json'), files.modelJson, 'application/json'),
      this.store.put(S3Keys.modelFile(version, 'weights.bin'), files.weightsBin),
    ]);
    await this.store.put(
      S3Keys.modelFile(version, 'card.json'),
      `${JSON.stringify(published, null, 2)}\n`,
      'application/json',
    );
    return published;
  }

  /** Every published version (those with a card), oldest first, and the production alias. */
  async list(): Promise<RegistryListing> {
    const versions = await this.publishedVersions();
    const [cards, production] = await Promise.all([
      Promise.all(versions.map((version) => this.getCard(version))),
      this.getProduction(),
    ]);
    return { versions: cards, production: production?.alias ?? null };
  }

  /** The card of a published version; NotFoundError when there is no such version. */
  async getCard(version: string): Promise<PublishedCard> {
    if (modelVersionNumber(version) === undefined) throw modelVersionNotFound(version);
    try {
      const { body } = await this.store.get(S3Keys.modelFile(version, 'card.json'));
      return JSON.parse(body.toString('utf8')) as PublishedCard;
    } catch (error) {
      throw error instanceof NotFoundError ? modelVersionNotFound(version) : error;
    }
  }

  /** The model files of a published version; NotFoundError when there is no such version. */
  async getFiles(version: string): Promise<ModelFiles> {
    await this.requirePublished(version);
    try {
      const [modelJson, weightsBin] = await Promise.all([
        this.store.get(S3Keys.modelFile(version, 'model.json')),
        this.store.get(S3Keys.modelFile(version, 'weights.bin')),
      ]);
      return { modelJson: modelJson.body, weightsBin: weightsBin.body };
    } catch (error) {
      throw error instanceof NotFoundError ? modelVersionNotFound(version) : error;
    }
  }

  /** The production alias and the ETag of the object it was read from; undefined when none. */
  async getProduction(): Promise<{ alias: ProductionAlias; etag: string } | undefined> {
    try {
      const { body, etag } = await this.store.get(S3Keys.productionAlias);
      return { alias: JSON.parse(body.toString('utf8')) as ProductionAlias, etag };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Only the alias's ETag (one HEAD request): what a poller compares before reading it. */
  async productionEtag(): Promise<string | undefined> {
    return (await this.store.stat(S3Keys.productionAlias))?.etag;
  }

  /**
   * Puts a published version in production (rollback is promoting an older one) and announces it
   * on the channel. When the announcement fails the promotion still stands: gateways also poll.
   * Takes the promotion lock, so a promotion by hand cannot land between a job's check of
   * production and its own promotion (promoteIfProductionIs) and then be silently replaced.
   */
  async promote(version: string, reason: string): Promise<ProductionAlias> {
    return this.withPromotionLock((stillHeld) => this.writeProduction(version, reason, stillHeld));
  }

  /**
   * Promotes `version` only while production is still `expected` (the version it was trained
   * from), checked and promoted under the promotion lock: of two jobs from the same parent that
   * finish together, the second finds production moved on instead of replacing the first. A lock
   * held for too long throws, and the caller's retry promotes later.
   */
  async promoteIfProductionIs(
    version: string,
    expected: string | null,
    reason: string,
  ): Promise<{ promoted: boolean; production: string | undefined }> {
    return this.withPromotionLock(async (stillHeld) => {
      const production = (await this.getProduction())?.alias.version;
      if (production === version) return { promoted: true, production };
      if (production !== expected) return { promoted: false, production };
      await this.writeProduction(version, reason, stillHeld);
      return { promoted: true, production: version };
    });
  }

  // Every change of the production alias (and of the rollout, see RolloutRegistry) runs under one
  // Redis lock. Its expiry matters if a holder
  // dies, or stalls (S3 slow to answer): `work` is handed a check that renews the lock while it is
  // still held and that it calls right before writing the alias, so a holder whose lock lapsed
  // (and may have been taken by another promotion since) writes nothing.
  async withPromotionLock<T>(work: (stillHeld: () => Promise<void>) => Promise<T>): Promise<T> {
    const lockKey = RedisKeys.promotionLock(this.store.bucket);
    const token = randomUUID();
    const deadline = Date.now() + PROMOTION_LOCK_WAIT_MS;
    while ((await this.redis.set(lockKey, token, 'PX', PROMOTION_LOCK_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`another promotion still holds ${lockKey}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stillHeld = async () => {
      if ((await this.redis.eval(RENEW_LOCK, 1, lockKey, token, PROMOTION_LOCK_MS)) !== 1) {
        throw new Error(
          `the promotion lock ${lockKey} lapsed before production was written; nothing changed`,
        );
      }
    };
    try {
      return await work(stillHeld);
    } finally {
      // The outcome stands either way: a lock that cannot be released expires on its own.
      await this.redis.eval(RELEASE_LOCK, 1, lockKey, token).catch((error: unknown) => {
        this.logger?.warn({ err: error, lockKey }, 'promotion lock not released; it expires by itself');
      });
    }
  }

  /** Writes the alias and announces it; only inside withPromotionLock (its `stillHeld` is required). */
  async writeProduction(
    version: string,
    reason: string,
    stillHeld: () => Promise<void>,
  ): Promise<ProductionAlias> {
    await this.requirePublished(version);
    const alias: ProductionAlias = { version, promotedAt: new Date().toISOString(), reason };
    await stillHeld();
    await this.store.put(S3Keys.productionAlias, JSON.stringify(alias), 'application/json');
    const event: ModelEvent = { type: 'promoted', version };
    try {
      await this.redis.publish(this.channel, JSON.stringify(event));
    } catch (error) {
      this.logger?.warn({ err: error, version }, 'promotion stored but not announced; gateways will poll');
    }
    return alias;
  }

  /**
   * On an empty registry, publishes the model in `dir` (model.json, weights.bin, card.json) and
   * promotes it. Idempotent, and a Redis lock makes it safe when several processes start at once.
   */
  async seedFromDirectory(dir: string): Promise<SeedOutcome> {
    const names = ['model.json', 'weights.bin', 'card.json'];
    const present = await Promise.all(
      names.map((name) =>
        access(join(dir, name)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (present.includes(false)) return { outcome: 'skipped', reason: 'no_model_in_directory' };

    const lockKey = RedisKeys.registrySeedLock(this.store.bucket);
    const token = randomUUID();
    if ((await this.redis.set(lockKey, token, 'PX', SEED_LOCK_MS, 'NX')) !== 'OK') {
      return { outcome: 'skipped', reason: 'seeding_elsewhere' };
    }
    try {
      if ((await this.publishedVersions()).length > 0 || (await this.productionEtag()) !== undefined) {
        return { outcome: 'skipped', reason: 'registry_not_empty' };
      }
      const [modelJson, weightsBin, card] = await Promise.all(names.map((name) => readFile(join(dir, name))));
      const published = await this.publish(
        { modelJson: modelJson!, weightsBin: weightsBin! },
        JSON.parse(card!.toString('utf8')) as ModelCard,
      );
      await this.promote(published.version, `seeded from ${dir}`);
      return { outcome: 'seeded', version: published.version };
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, lockKey, token);
    }
  }

  private async requirePublished(version: string): Promise<void> {
    if (
      modelVersionNumber(version) === undefined ||
      !(await this.store.stat(S3Keys.modelFile(version, 'card.json')))
    ) {
      throw modelVersionNotFound(version);
    }
  }

  /** Versions with a card.json, in version order. */
  private async publishedVersions(): Promise<string[]> {
    const objects = await this.store.list(S3Keys.modelPrefix);
    return objects
      .map((object) => modelVersionOfKey(object.key))
      .filter((entry) => entry?.file === 'card.json')
      .map((entry) => entry!.version)
      .sort((a, b) => modelVersionNumber(a)! - modelVersionNumber(b)!);
  }

  /** The highest version number with any file in storage, card or not (0 when none). */
  private async highestVersionInStorage(): Promise<number> {
    const objects = await this.store.list(S3Keys.modelPrefix);
    let highest = 0;
    for (const object of objects) {
      const entry = modelVersionOfKey(object.key);
      if (entry) highest = Math.max(highest, modelVersionNumber(entry.version)!);
    }
    return highest;
  }
}
