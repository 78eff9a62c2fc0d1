// Keeps this gateway on the registry's rollout: on every rollout event on the models channel, and by
// polling models/rollout.json's ETag as a fallback. For a new rollout it starts inference threads
// for the candidate and warms the model up; only then does the rollout become active (the split
// starts with both models warm). When the rollout ends, the candidate's threads are closed once the
// requests on them are done.
import type { Redis } from 'ioredis';
import type { Config, Logger } from '@visionops/core';
import {
  parseModelEvent,
  type ModelRegistry,
  type Rollout,
  type RolloutRegistry,
} from '@visionops/core/registry';
import { InferencePool } from '../inference/inference-pool.js';
import { CoalescedSync } from '../models/coalesced-sync.js';

export interface ActiveRollout {
  rollout: Rollout;
  /** The candidate's own inference threads, its model loaded and warm. */
  pool: InferencePool;
  /** Requests (answers and background scorings) on `pool` right now. */
  inFlight: number;
}

export interface RolloutFollowerOptions {
  config: Pick<
    Config,
    | 'ROLLOUT_CANDIDATE_THREADS'
    | 'ML_BACKEND'
    | 'BATCH_MAX_SIZE'
    | 'BATCH_MAX_WAIT_MS'
    | 'MODEL_POLL_INTERVAL_MS'
  >;
  registry: ModelRegistry;
  rollouts: RolloutRegistry;
  subscriber: Redis;
  logger: Logger;
  /** Told how long a shadow candidate's thread spent on each batch (its latency figure). */
  onShadowBatch?: (rollout: Rollout, busyMs: number) => void;
}

const DRAIN_MS = 5000;
/**
 * How long a shadow's first sample waits for company: the answers of one production batch are known
 * together, and their samples then cost the event loop one hand-off to the candidate's thread and
 * one result instead of one each (0.1-0.3 ms of event loop per batch measured on two cores).
 * Nobody waits for a shadow's answer.
 */
const SHADOW_BATCH_WAIT_MS = 2;

export class RolloutFollower {
  /** The rollout in the registry, as last read (active or still loading). */
  rollout: Rollout | undefined;
  /** The rollout traffic is split for, once its candidate is warm. */
  active: ActiveRollout | undefined;
  /** Why the rollout in the registry is not active here, when it is not. */
  lastError: string | undefined;
  private appliedEtag: string | undefined;
  private readonly syncs = new CoalescedSync(
    (force) => this.run(force),
    () => this.stopped,
  );
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: RolloutFollowerOptions) {}

  start(): void {
    const { subscriber, registry, logger } = this.options;
    // The model reloader subscribes to the channel; this only listens to its rollout events.
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== registry.channel) return;
      const event = parseModelEvent(message);
      if (event?.type !== 'rollout') return;
      logger.info({ id: event.id, action: event.action }, 'rollout event');
      void this.sync(true);
    });
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.syncs.current;
    await this.deactivate(0);
  }

  /** Rereads the rollout now; resolves once this gateway follows it (or its load failed). */
  sync(force = false): Promise<void> {
    return this.syncs.request(force);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.sync();
    if (!this.stopped)
      this.timer = setTimeout(() => void this.tick(), this.options.config.MODEL_POLL_INTERVAL_MS);
  }

  private async run(force: boolean): Promise<void> {
    const { rollouts, logger } = this.options;
    try {
      const etag = await rollouts.etag();
      if (!force && etag === this.appliedEtag && (etag === undefined || this.active)) return;
      const current = await rollouts.current();
      if (!current) {
        this.rollout = undefined;
        this.lastError = undefined;
        this.appliedEtag = undefined;
        await this.deactivate(DRAIN_MS);
        return;
      }
      const { rollout } = current;
      this.rollout = rollout;
      if (this.active?.rollout.id === rollout.id) {
        this.appliedEtag = current.etag;
        return;
      }
      if (this.active?.rollout.candidate === rollout.candidate && this.active.rollout.mode === rollout.mode) {
        // The same candidate in the same mode again (a new rollout of it): its warm threads carry on.
        this.active = { ...this.active, rollout };
      } else {
        await this.deactivate(DRAIN_MS);
        const pool = await this.loadCandidate(rollout);
        if (this.stopped) {
          await pool.close();
          return;
        }
        this.active = { rollout, pool, inFlight: 0 };
      }
      this.appliedEtag = current.etag;
      this.lastError = undefined;
      logger.info(
        { id: rollout.id, candidate: rollout.candidate, mode: rollout.mode, percent: rollout.percent },
        'rollout active',
      );
    } catch (error) {
      this.lastError = `rollout not followed: ${(error as Error).message}`;
      logger.warn({ err: error }, 'could not follow the rollout; retrying at the next poll');
    }
  }

  private async loadCandidate(rollout: Rollout): Promise<InferencePool> {
    const { config, registry, logger } = this.options;
    const started = performance.now();
    const pool: InferencePool = new InferencePool({
      threads: config.ROLLOUT_CANDIDATE_THREADS,
      backend: config.ML_BACKEND,
      batchMaxSize: config.BATCH_MAX_SIZE,
      batchMaxWaitMs:
        rollout.mode === 'shadow'
          ? Math.max(config.BATCH_MAX_WAIT_MS, SHADOW_BATCH_WAIT_MS)
          : config.BATCH_MAX_WAIT_MS,
      logger,
      // In shadow the candidate only works in the background: it must never take CPU from answers.
      lowPriority: rollout.mode === 'shadow',
      // A later rollout of the same candidate may take these threads over: report to the current one.
      onBatchDone: (busyMs: number) => {
        const current = this.active?.pool === pool ? this.active.rollout : undefined;
        if (current?.mode === 'shadow') this.options.onShadowBatch?.(current, busyMs);
      },
    });
    try {
      await pool.start();
      const [files, card] = await Promise.all([
        registry.getFiles(rollout.candidate),
        registry.getCard(rollout.candidate),
      ]);
      // loadModel warms the model up on every thread before it serves.
      await pool.loadModel(rollout.candidate, files, card.normalisation);
    } catch (error) {
      await pool.close();
      throw error;
    }
    logger.info(
      { candidate: rollout.candidate, ms: Math.round(performance.now() - started) },
      'rollout candidate warm',
    );
    return pool;
  }

  /** Stops the split, then closes the candidate's threads once its requests are done (or after `drainMs`). */
  private async deactivate(drainMs: number): Promise<void> {
    const previous = this.active;
    if (!previous) return;
    this.active = undefined;
    const deadline = Date.now() + drainMs;
    while (previous.inFlight > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await previous.pool.close();
    this.options.logger.info(
      { id: previous.rollout.id, candidate: previous.rollout.candidate },
      'rollout candidate closed',
    );
  }
}
