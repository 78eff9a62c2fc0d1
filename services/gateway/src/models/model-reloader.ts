// Keeps the inference pool on the production model: on start (seeding an empty registry from the
// baseline directory), on every `promoted` event, and by polling the production alias's ETag as a
// fallback for missed events. A model that fails to load is logged and counted, the old one keeps
// serving, and the load is retried with a growing delay.
import type { Redis } from 'ioredis';
import { OutageLog, type Logger } from '@visionops/core';
import { parseModelEvent, type ModelRegistry } from '@visionops/core/registry';
import type { InferencePool } from '../inference/inference-pool.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { CoalescedSync } from './coalesced-sync.js';

export interface ModelReloaderOptions {
  registry: ModelRegistry;
  pool: InferencePool;
  /** A connection used only for SUBSCRIBE (Redis allows nothing else on it). */
  subscriber: Redis;
  pollIntervalMs: number;
  baselineDir: string;
  s3Region: string;
  metrics: GatewayMetrics;
  logger: Logger;
}

const MAX_RETRY_DELAY_MS = 5 * 60_000;

export class ModelReloader {
  /** Why the production model is not in service, when it is not (for /ready). */
  lastError: string | undefined;
  private appliedEtag: string | undefined;
  private failure: { etag: string; attempts: number; retryAt: number } | undefined;
  private seeded = false;
  private readonly syncs = new CoalescedSync(
    (force) => this.run(force),
    () => this.stopped,
  );
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly outage: OutageLog;

  constructor(private readonly options: ModelReloaderOptions) {
    this.outage = new OutageLog(
      options.logger,
      'could not check the production model; retrying',
      'model registry reachable again',
    );
  }

  /** Starts in the background: the gateway serves HTTP (and 503s) before a model is in. */
  start(): void {
    const { subscriber, registry, logger } = this.options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== registry.channel) return;
      const event = parseModelEvent(message);
      if (!event) {
        logger.warn({ channel, message }, 'ignored a malformed model event');
        return;
      }
      // Rollout events are the RolloutFollower's.
      if (event.type !== 'promoted') return;
      logger.info({ version: event.version }, 'model promoted');
      void this.sync(true);
    });
    subscriber.subscribe(registry.channel).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not subscribe to model events; polling only');
    });
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.syncs.current;
  }

  /** Checks the production alias now; resolves when the pool is on it (or the load failed). */
  sync(force = false): Promise<void> {
    return this.syncs.request(force);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.sync();
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.options.pollIntervalMs);
  }

  private async run(force: boolean): Promise<void> {
    const { registry, pool, metrics, logger } = this.options;
    try {
      if (!this.seeded) await this.seed();
      const etag = await registry.productionEtag();
      this.outage.recovered();
      if (etag === undefined) {
        this.lastError = 'the registry has no production model yet';
        return;
      }
      if (!force && etag === this.appliedEtag) return;
      if (!force && this.failure?.etag === etag && Date.now() < this.failure.retryAt) return;

      const production = await registry.getProduction();
      if (!production) return;
      // The alias changed between the HEAD and the GET (a promotion in between, or a store that
      // answered the GET from an older copy): look again right after this round.
      if (production.etag !== etag) this.syncs.requestAgain();
      const { version } = production.alias;
      if (version === pool.modelVersion) {
        this.appliedEtag = production.etag;
        this.lastError = undefined;
        return;
      }
      const started = performance.now();
      try {
        const [files, card] = await Promise.all([registry.getFiles(version), registry.getCard(version)]);
        const previous = pool.modelVersion;
        await pool.loadModel(version, files, card.normalisation);
        const seconds = (performance.now() - started) / 1000;
        metrics.modelLoadSeconds.observe(seconds);
        metrics.modelSwaps.inc();
        metrics.setModelVersion(version);
        this.appliedEtag = production.etag;
        this.failure = undefined;
        this.lastError = undefined;
        logger.info({ version, previous, ms: Math.round(seconds * 1000) }, 'model swapped in');
      } catch (error) {
        metrics.modelLoadFailures.inc();
        const attempts = (this.failure?.etag === production.etag ? this.failure.attempts : 0) + 1;
        const delay = Math.min(this.options.pollIntervalMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
        this.failure = { etag: production.etag, attempts, retryAt: Date.now() + delay };
        this.lastError = `model ${version} failed to load: ${(error as Error).message}`;
        logger.error(
          { err: error, version, serving: pool.modelVersion ?? null, retryInMs: delay },
          'model failed to load; the previous model keeps serving',
        );
      }
    } catch (error) {
      // Storage unreachable: keep serving what is loaded and try again at the next poll.
      this.lastError = `model registry unreachable: ${(error as Error).message}`;
      this.outage.failed(error);
    }
  }

  private async seed(): Promise<void> {
    const { registry, baselineDir, s3Region, logger } = this.options;
    await registry.store.ensureBucket(s3Region);
    const outcome = await registry.seedFromDirectory(baselineDir);
    this.seeded = true;
    logger.info({ ...outcome, baselineDir }, 'registry seed check');
  }
}
