// Judges the rollout's criteria on its live figures and promotes or rolls back. Every gateway runs
// one, but only the holder of a short Redis lock judges (the one decider across gateways); the
// registry then applies the decision under its promotion lock, and only if the rollout is still
// the one judged, so an admin's decision at the same moment is never applied twice.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisKeys, type Logger } from '@visionops/core';
import {
  RolloutStateError,
  type Rollout,
  type RolloutRecord,
  type RolloutRegistry,
} from '@visionops/core/registry';
import { judgeRollout } from './rollout-criteria.js';
import type { RolloutFollower } from './rollout-follower.js';
import type { RolloutStatsRecorder } from './rollout-stats.js';

export interface RolloutDeciderOptions {
  redis: Redis;
  queuePrefix: string;
  intervalMs: number;
  rollouts: RolloutRegistry;
  follower: RolloutFollower;
  stats: RolloutStatsRecorder;
  logger: Logger;
}

/** Takes the lock when free, or renews it when this decider holds it: 1 when held, else 0. */
const HOLD_LOCK = `
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`;
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RolloutDecider {
  private readonly token = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: RolloutDeciderOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(async () => {
        await this.tick();
      });
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    const { redis, queuePrefix } = this.options;
    await redis
      .eval(RELEASE_LOCK, 1, RedisKeys.rolloutDecider(queuePrefix), this.token)
      .catch(() => undefined);
  }

  /** One round: judge the rollout when this gateway is the decider; the record when it decided. */
  async tick(): Promise<RolloutRecord | undefined> {
    const { redis, queuePrefix, intervalMs, follower, logger } = this.options;
    const rollout = follower.rollout;
    if (!rollout || this.stopped) return undefined;
    try {
      const held = await redis.eval(
        HOLD_LOCK,
        1,
        RedisKeys.rolloutDecider(queuePrefix),
        this.token,
        Math.max(3 * intervalMs, 3000),
      );
      if (held !== 1) return undefined;
      return await this.judge(rollout);
    } catch (error) {
      if (error instanceof RolloutStateError) {
        // Decided elsewhere first (an admin, or a decider whose lock this one took over).
        void follower.sync(true);
        return undefined;
      }
      logger.warn({ err: error, id: rollout.id }, 'rollout criteria not judged this round');
      return undefined;
    }
  }

  private async judge(rollout: Rollout): Promise<RolloutRecord | undefined> {
    const { rollouts, follower, stats, logger } = this.options;
    const figures = await stats.read(rollout.id, {
      production: rollout.baseline,
      candidate: rollout.candidate,
    });
    const verdict = judgeRollout(rollout, figures);
    if (verdict.action === 'continue') return undefined;
    const record = await rollouts.finish({
      id: rollout.id,
      outcome: verdict.action === 'promote' ? 'promoted' : 'rolled_back',
      reason: verdict.reason,
      decidedBy: 'criteria',
      stats: figures,
    });
    logger.info(
      { id: rollout.id, candidate: rollout.candidate, outcome: record.outcome, reason: record.reason },
      'rollout decided',
    );
    void follower.sync(true);
    return record;
  }
}
