// The end of a retrain job with `promote: shadow | canary`: a version that passed the gate enters a
// rollout on live traffic instead of production, and the gateways' criteria promote or roll it
// back. A retry finds its own rollout already running and reports it again.
import type { Logger } from '@visionops/core';
import { DEFAULT_ROLLOUT_PERCENT, type RetrainJobData, type RetrainResult } from '@visionops/core/jobs';
import {
  RolloutRegistry,
  RolloutStateError,
  type ModelRegistry,
  type PublishedCard,
} from '@visionops/core/registry';

export type PromotionOutcome = Pick<RetrainResult, 'promoted' | 'reason' | 'rollout'>;

export async function startRetrainRollout(
  registry: ModelRegistry,
  redis: ConstructorParameters<typeof RolloutRegistry>[1],
  logger: Logger,
  card: PublishedCard,
  data: Pick<RetrainJobData, 'rolloutPercent'> & { promote: 'shadow' | 'canary' },
  gateReason: string,
): Promise<PromotionOutcome> {
  const rollouts = new RolloutRegistry(registry, redis, logger);
  const mode = data.promote;
  const percent = data.rolloutPercent ?? DEFAULT_ROLLOUT_PERCENT[mode];
  const why = gateReason.replace(/^promoted: /, '');
  const started = (id: string, startedPercent: number): PromotionOutcome => ({
    promoted: false,
    reason: `rollout ${id} started (${mode} ${startedPercent}%) instead of a direct promotion: ${why}`,
    rollout: { id, mode, percent: startedPercent },
  });
  try {
    const rollout = await rollouts.start(
      { candidate: card.version, mode, percent, reason: `retrained: ${why}` },
      card.parent,
    );
    return started(rollout.id, rollout.percent);
  } catch (error) {
    if (!(error instanceof RolloutStateError)) throw error;
    const running = (await rollouts.current())?.rollout;
    if (running?.candidate === card.version && running.mode === mode)
      return started(running.id, running.percent);
    if (error.code === 'candidate_in_production') {
      return { promoted: true, reason: `${card.version} is already in production`, rollout: null };
    }
    return { promoted: false, reason: `no rollout started: ${error.message}`, rollout: null };
  }
}
