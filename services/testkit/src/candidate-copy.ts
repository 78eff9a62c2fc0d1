// A candidate for rollout tests and load tests: the production model published again as a new
// version, so it agrees with production on every image and is exactly as fast.
import { Redis } from 'ioredis';
import type { Config } from '@visionops/core';
import { ModelRegistry, type ObjectStore } from '@visionops/core/registry';

export async function publishCopyOfProduction(
  config: Pick<Config, 'REDIS_URL'>,
  store: ObjectStore,
): Promise<string> {
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    const registry = new ModelRegistry({ store, redis });
    const production = (await registry.getProduction())?.alias.version;
    if (!production) throw new Error('the registry has no production model to copy');
    const [files, card] = await Promise.all([registry.getFiles(production), registry.getCard(production)]);
    const { version: _version, sizeBytes: _sizeBytes, ...rest } = card;
    return (await registry.publish(files, { ...rest, parent: production })).version;
  } finally {
    await redis.quit();
  }
}
