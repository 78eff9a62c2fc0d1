// The gateway's rollout parts, wired once: the registry's rollout object, the follower that keeps the
// candidate warm, the live figures, the answering path and the decider.
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config, Logger } from '@visionops/core';
import { RolloutRegistry, type ModelRegistry } from '@visionops/core/registry';
import type { InferencePool } from '../inference/inference-pool.js';
import { RolloutDecider } from './rollout-decider.js';
import { RolloutFollower } from './rollout-follower.js';
import { registerRolloutMetrics } from './rollout-metrics.js';
import { RolloutStatsRecorder } from './rollout-stats.js';
import { RolloutTraffic } from './rollout-traffic.js';

export interface RolloutServiceOptions {
  config: Config;
  registry: ModelRegistry;
  production: InferencePool;
  redis: Redis;
  subscriber: Redis;
  logger: Logger;
  /** The gateway's Prometheus registry, for the rollout's gauges. */
  metrics: Registry;
}

export class RolloutService {
  readonly rollouts: RolloutRegistry;
  readonly follower: RolloutFollower;
  readonly stats: RolloutStatsRecorder;
  readonly traffic: RolloutTraffic;
  readonly decider: RolloutDecider;

  constructor({ config, registry, production, redis, subscriber, logger, metrics }: RolloutServiceOptions) {
    const log = logger.child({ part: 'rollout' });
    this.rollouts = new RolloutRegistry(registry, redis, log);
    this.stats = new RolloutStatsRecorder(redis, config.QUEUE_PREFIX, log);
    this.follower = new RolloutFollower({
      config,
      registry,
      rollouts: this.rollouts,
      subscriber,
      logger: log,
      onShadowBatch: (rollout, busyMs) =>
        this.stats.latency(rollout.id, 'candidate', rollout.candidate, busyMs),
    });
    this.traffic = new RolloutTraffic({
      production,
      follower: this.follower,
      stats: this.stats,
      backgroundQueue: config.ROLLOUT_SHADOW_QUEUE,
      shadowOnlyWhenIdle: config.ROLLOUT_SHADOW_ONLY_WHEN_IDLE,
      logger: log,
    });
    this.decider = new RolloutDecider({
      redis,
      queuePrefix: config.QUEUE_PREFIX,
      intervalMs: config.ROLLOUT_DECISION_INTERVAL_MS,
      rollouts: this.rollouts,
      follower: this.follower,
      stats: this.stats,
      logger: log,
    });
    registerRolloutMetrics(metrics, this.follower, this.traffic);
  }

  start(): void {
    this.stats.start();
    this.follower.start();
    this.decider.start();
  }

  async stop(): Promise<void> {
    await this.decider.stop();
    await this.follower.stop();
    await this.stats.stop();
  }
}
