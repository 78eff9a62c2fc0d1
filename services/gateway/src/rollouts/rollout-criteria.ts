// The rollout's criteria applied to its live figures: roll back at once when a bound breaks (once
// it rests on enough observations), promote once the candidate has served enough requests with
// every bound kept, else keep going. Pure, so the decider and the tests share it.
import type { Rollout, RolloutStats } from '@visionops/core/registry';

export type Verdict =
  { action: 'continue'; reason: string } | { action: 'promote' | 'rollback'; reason: string };

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export function judgeRollout(rollout: Pick<Rollout, 'criteria' | 'candidate'>, stats: RolloutStats): Verdict {
  const { criteria, candidate } = rollout;
  const c = stats.candidate;
  const successes = c.requests - c.errors;
  if (c.requests >= criteria.minSamples && c.errorRate > criteria.maxErrorRate) {
    return {
      action: 'rollback',
      reason:
        `error rate ${percent(c.errorRate)} (${c.errors} of ${c.requests} requests) is above the ` +
        `${percent(criteria.maxErrorRate)} bound`,
    };
  }
  if (successes >= criteria.minSamples && c.p99Ms !== null && c.p99Ms > criteria.maxP99Ms) {
    return {
      action: 'rollback',
      reason: `latency p99 ${c.p99Ms} ms (${successes} requests) is above the ${criteria.maxP99Ms} ms bound`,
    };
  }
  if (
    criteria.minAgreement !== null &&
    c.compared >= criteria.minSamples &&
    c.agreement !== null &&
    c.agreement < criteria.minAgreement
  ) {
    return {
      action: 'rollback',
      reason:
        `agreement with production ${percent(c.agreement)} (${c.compared} images compared) is below the ` +
        `${percent(criteria.minAgreement)} floor`,
    };
  }
  const enoughCompared = criteria.minAgreement === null || c.compared >= criteria.minSamples;
  if (criteria.autoPromote && c.requests >= criteria.minRequests && enoughCompared) {
    const agreement = c.agreement === null ? '' : `, agreement ${percent(c.agreement)}`;
    return {
      action: 'promote',
      reason:
        `${candidate} kept every bound over ${c.requests} requests: error rate ${percent(c.errorRate)}, ` +
        `p99 ${c.p99Ms ?? '-'} ms${agreement}`,
    };
  }
  return {
    action: 'continue',
    reason: `${c.requests} of ${criteria.minRequests} requests${enoughCompared ? '' : `, ${c.compared} of ${criteria.minSamples} images compared`}`,
  };
}
