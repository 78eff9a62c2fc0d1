// The rollout in the registry: models/rollout.json next to the production alias, changed only under
// the registry's promotion lock (so a promotion and a rollout decision never interleave), announced
// on the models channel, and a history of finished rollouts under rollouts/.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { S3Keys } from '../names.js';
import type { ModelEvent } from './model-events.js';
import type { ModelRegistry } from './model-registry.js';
import { NotFoundError } from './registry-errors.js';
import {
  rolloutRequestSchema,
  rolloutSchema,
  type Rollout,
  type RolloutOutcome,
  type RolloutRecord,
  type RolloutRequest,
  type RolloutStats,
} from './rollout.js';

/** The rollout cannot change that way now (one is already running, none is, or another one is). */
export class RolloutStateError extends Error {
  constructor(
    readonly code:
      | 'rollout_in_progress'
      | 'no_rollout'
      | 'rollout_changed'
      | 'candidate_in_production'
      | 'no_production'
      | 'production_moved',
    message: string,
  ) {
    super(message);
    this.name = 'RolloutStateError';
  }
}

export interface FinishRollout {
  id: string;
  outcome: RolloutOutcome;
  reason: string;
  decidedBy: RolloutRecord['decidedBy'];
  stats: RolloutStats | null;
}

/** Sortable by start time: `r20261205T190512345Z-1a2b3c`. */
function newRolloutId(): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

export class RolloutRegistry {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly redis: { publish(channel: string, message: string): Promise<unknown> },
    private readonly logger?: Logger,
  ) {}

  /** The rollout in progress and the ETag of its object, or undefined when there is none. */
  async current(): Promise<{ rollout: Rollout; etag: string } | undefined> {
    try {
      const { body, etag } = await this.registry.store.get(S3Keys.rollout);
      return { rollout: rolloutSchema.parse(JSON.parse(body.toString('utf8'))), etag };
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Only the rollout object's ETag (one HEAD): what a poller compares; undefined when none. */
  async etag(): Promise<string | undefined> {
    return (await this.registry.store.stat(S3Keys.rollout))?.etag;
  }

  /**
   * Starts a rollout of a published candidate against the production version, when none is in
   * progress. NotFoundError when the candidate does not exist. With `expectedBaseline`, only while
   * production is still that version (a retrained version is compared with the one it came from).
   */
  async start(request: RolloutRequest, expectedBaseline?: string | null): Promise<Rollout> {
    const parsed = rolloutRequestSchema.parse(request);
    const rollout = await this.registry.withPromotionLock(async (stillHeld) => {
      await this.registry.getCard(parsed.candidate);
      const running = await this.current();
      if (running) {
        throw new RolloutStateError(
          'rollout_in_progress',
          `rollout ${running.rollout.id} of ${running.rollout.candidate} is in progress; promote or abort it first`,
        );
      }
      const production = (await this.registry.getProduction())?.alias.version;
      if (!production)
        throw new RolloutStateError('no_production', 'there is no production model to compare with');
      if (
        expectedBaseline !== undefined &&
        production !== parsed.candidate &&
        production !== expectedBaseline
      ) {
        throw new RolloutStateError(
          'production_moved',
          `production moved on to ${production}; ${parsed.candidate} was made from ${expectedBaseline}`,
        );
      }
      if (production === parsed.candidate) {
        throw new RolloutStateError(
          'candidate_in_production',
          `${parsed.candidate} is already in production`,
        );
      }
      const { reason, ...settings } = parsed;
      const started: Rollout = {
        ...settings,
        id: newRolloutId(),
        baseline: production,
        startedAt: new Date().toISOString(),
        startReason: reason ?? 'started through the API',
      };
      await stillHeld();
      await this.registry.store.put(S3Keys.rollout, JSON.stringify(started), 'application/json');
      return started;
    });
    await this.announce({ type: 'rollout', id: rollout.id, action: 'started' });
    this.logger?.info({ rollout }, 'rollout started');
    return rollout;
  }

  /**
   * Ends the rollout `id`: promotes its candidate (outcome `promoted`) or leaves production as it
   * is, removes models/rollout.json and keeps the record in the history. Throws RolloutStateError
   * when `id` is no longer the rollout in progress (another gateway or an admin decided first).
   */
  async finish(finish: FinishRollout): Promise<RolloutRecord> {
    const record = await this.registry.withPromotionLock(async (stillHeld) => {
      const running = await this.current();
      if (!running) throw new RolloutStateError('no_rollout', 'no rollout is in progress');
      if (running.rollout.id !== finish.id) {
        throw new RolloutStateError(
          'rollout_changed',
          `rollout ${finish.id} is over; ${running.rollout.id} runs now`,
        );
      }
      const ended: RolloutRecord = {
        ...running.rollout,
        endedAt: new Date().toISOString(),
        outcome: finish.outcome,
        reason: finish.reason,
        decidedBy: finish.decidedBy,
        stats: finish.stats,
      };
      // Production first, then the record, then the rollout's removal: whoever reads the record
      // finds production as it says, and a crash half-way leaves the rollout running (its candidate
      // perhaps already in production), for the next decision to finish and record.
      if (finish.outcome === 'promoted') {
        await this.registry.writeProduction(
          ended.candidate,
          `rollout ${ended.id} (${ended.mode}): ${finish.reason}`,
          stillHeld,
        );
      } else {
        await stillHeld();
      }
      await this.registry.store.put(
        S3Keys.rolloutRecord(ended.id),
        JSON.stringify(ended),
        'application/json',
      );
      await this.registry.store.remove(S3Keys.rollout);
      return ended;
    });
    await this.announce({ type: 'rollout', id: record.id, action: 'ended' });
    this.logger?.info(
      { id: record.id, candidate: record.candidate, outcome: record.outcome, reason: record.reason },
      'rollout ended',
    );
    return record;
  }

  /** Finished rollouts, newest first (at most `limit`). */
  async history(limit = 50): Promise<RolloutRecord[]> {
    const objects = await this.registry.store.list(S3Keys.rolloutHistoryPrefix);
    const keys = objects
      .map((object) => object.key)
      .filter((key) => /^rollouts\/r[0-9A-Za-z-]+\.json$/.test(key))
      .sort()
      .reverse()
      .slice(0, limit);
    return Promise.all(
      keys.map(
        async (key) =>
          JSON.parse((await this.registry.store.get(key)).body.toString('utf8')) as RolloutRecord,
      ),
    );
  }

  private async announce(event: ModelEvent): Promise<void> {
    try {
      await this.redis.publish(this.registry.channel, JSON.stringify(event));
    } catch (error) {
      this.logger?.warn({ err: error, event }, 'rollout change stored but not announced; gateways will poll');
    }
  }
}
