// Live figures of the two versions in a rollout, summed over every gateway in Redis hashes (one per
// rollout and role, under the queue prefix). Each gateway counts in memory and adds its counts with
// one MULTI every flush interval, so the answering path never waits on Redis.
import type { Redis } from 'ioredis';
import { RedisKeys, type Logger } from '@visionops/core';
import {
  ROLLOUT_ROLES,
  type RolloutRole,
  type RolloutStats,
  type VersionStats,
} from '@visionops/core/registry';
import { latencyBucket, latencyQuantile } from './latency-histogram.js';

/** Figures kept a week after a rollout's last request: enough to read a finished one back. */
const STATS_TTL_SECONDS = 7 * 24 * 3600;

interface Pending {
  version: string;
  counts: Map<string, number>;
  confidenceSum: number;
}

export interface Observation {
  version: string;
  images: number;
  /** Inference latency of the request, when it succeeded. */
  ms?: number;
  failed?: boolean;
  /** Top-class confidence of each image, when it succeeded. */
  confidences?: readonly number[];
}

export class RolloutStatsRecorder {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
    private readonly logger: Logger,
    private readonly flushIntervalMs = 250,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** A request answered (or scored in the background) by `role`. */
  observe(rolloutId: string, role: RolloutRole, observation: Observation): void {
    const entry = this.entry(rolloutId, role, observation.version);
    add(entry.counts, 'requests', 1);
    if (observation.failed) {
      add(entry.counts, 'errors', 1);
      return;
    }
    if (observation.ms !== undefined) add(entry.counts, `latency:${latencyBucket(observation.ms)}`, 1);
    for (const confidence of observation.confidences ?? []) {
      entry.confidenceSum += confidence;
      add(entry.counts, 'confidenceN', 1);
    }
  }

  /** A latency on its own, not a request: a shadow candidate's time per batch on its thread. */
  latency(rolloutId: string, role: RolloutRole, version: string, ms: number): void {
    add(this.entry(rolloutId, role, version).counts, `latency:${latencyBucket(ms)}`, 1);
  }

  /** Images the candidate and production both labelled, and on how many they agreed. */
  compare(rolloutId: string, version: string, compared: number, agreed: number): void {
    const entry = this.entry(rolloutId, 'candidate', version);
    add(entry.counts, 'compared', compared);
    add(entry.counts, 'agreed', agreed);
  }

  /** A sampled request the background queue had no room for. */
  dropped(rolloutId: string, version: string): void {
    add(this.entry(rolloutId, 'candidate', version).counts, 'dropped', 1);
  }

  /** A sampled request left unscored because production was busy when its answer was known. */
  skipped(rolloutId: string, version: string): void {
    add(this.entry(rolloutId, 'candidate', version).counts, 'skipped', 1);
  }

  /** Adds what this gateway counted since the last flush to the shared hashes. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** The figures of both roles, summed over every gateway (after this gateway's own flush). */
  async read(rolloutId: string, versions: Record<RolloutRole, string>): Promise<RolloutStats> {
    await this.flush();
    const pipeline = this.redis.pipeline();
    for (const role of ROLLOUT_ROLES)
      pipeline.hgetall(RedisKeys.rolloutStats(this.queuePrefix, rolloutId, role));
    const results = (await pipeline.exec()) ?? [];
    const stats = {} as RolloutStats;
    ROLLOUT_ROLES.forEach((role, i) => {
      const [error, hash] = results[i] ?? [];
      if (error) throw error;
      stats[role] = toVersionStats((hash ?? {}) as Record<string, string>, versions[role]);
    });
    return stats;
  }

  private entry(rolloutId: string, role: RolloutRole, version: string): Pending {
    const key = RedisKeys.rolloutStats(this.queuePrefix, rolloutId, role);
    let entry = this.pending.get(key);
    if (!entry) this.pending.set(key, (entry = { version, counts: new Map(), confidenceSum: 0 }));
    entry.version = version;
    return entry;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const multi = this.redis.multi();
    for (const [key, entry] of batch) {
      multi.hset(key, 'version', entry.version);
      for (const [field, count] of entry.counts) multi.hincrby(key, field, count);
      if (entry.confidenceSum !== 0) multi.hincrbyfloat(key, 'confidenceSum', entry.confidenceSum);
      multi.expire(key, STATS_TTL_SECONDS);
    }
    try {
      await multi.exec();
    } catch (error) {
      // Live figures are best effort: a Redis outage loses a flush, never a request.
      this.logger.warn({ err: error }, 'rollout figures not stored; Redis unavailable');
    }
  }
}

function add(counts: Map<string, number>, field: string, n: number): void {
  counts.set(field, (counts.get(field) ?? 0) + n);
}

export function toVersionStats(hash: Record<string, string>, fallbackVersion: string): VersionStats {
  const number = (field: string) => Number(hash[field] ?? 0);
  const latency = new Map<number, number>();
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('latency:')) latency.set(Number(field.slice('latency:'.length)), Number(value));
  }
  const requests = number('requests');
  const errors = number('errors');
  const confidenceN = number('confidenceN');
  const compared = number('compared');
  return {
    version: hash.version ?? fallbackVersion,
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    dropped: number('dropped'),
    skipped: number('skipped'),
    p50Ms: latencyQuantile(latency, 0.5),
    p99Ms: latencyQuantile(latency, 0.99),
    meanConfidence: confidenceN === 0 ? null : number('confidenceSum') / confidenceN,
    compared,
    agreement: compared === 0 ? null : number('agreed') / compared,
  };
}

/** How many latency observations the figures rest on. */
export function latencySamples(stats: VersionStats): number {
  return stats.requests - stats.errors;
}
