// The rollout criteria on given figures: each bound rolls back once it rests on enough
// observations, promotion waits for the request count and for enough compared images.
import { describe, expect, test } from 'vitest';
import { rolloutCriteriaSchema, type RolloutStats, type VersionStats } from '@visionops/core/registry';
import { judgeRollout } from './rollout-criteria.js';

const criteria = rolloutCriteriaSchema.parse({
  minRequests: 100,
  maxErrorRate: 0.05,
  maxP99Ms: 200,
  minAgreement: 0.8,
  minSamples: 20,
});
const rollout = { candidate: 'v2', criteria };

function figures(candidate: Partial<VersionStats>): RolloutStats {
  const base: VersionStats = {
    version: 'v1',
    requests: 0,
    errors: 0,
    errorRate: 0,
    dropped: 0,
    skipped: 0,
    p50Ms: null,
    p99Ms: null,
    meanConfidence: null,
    compared: 0,
    agreement: null,
  };
  const merged = { ...base, version: 'v2', ...candidate };
  merged.errorRate = merged.requests === 0 ? 0 : merged.errors / merged.requests;
  return { production: base, candidate: merged };
}

describe('rollout criteria', () => {
  test('when a bound breaks on too few observations, then the rollout continues', () => {
    expect(judgeRollout(rollout, figures({ requests: 5, errors: 5 })).action).toBe('continue');
    expect(judgeRollout(rollout, figures({ requests: 10, p99Ms: 900 })).action).toBe('continue');
    expect(judgeRollout(rollout, figures({ requests: 10, compared: 10, agreement: 0 })).action).toBe(
      'continue',
    );
  });

  test('when the error rate, p99 or agreement breaks its bound, then it rolls back and says which', () => {
    const errors = judgeRollout(rollout, figures({ requests: 40, errors: 4 }));
    expect(errors.action).toBe('rollback');
    expect(errors.reason).toMatch(/^error rate 10\.0% \(4 of 40/);
    const slow = judgeRollout(rollout, figures({ requests: 40, p99Ms: 250 }));
    expect(slow.action).toBe('rollback');
    expect(slow.reason).toMatch(/^latency p99 250 ms .* above the 200 ms bound/);
    const disagree = judgeRollout(rollout, figures({ requests: 40, compared: 30, agreement: 0.5 }));
    expect(disagree.action).toBe('rollback');
    expect(disagree.reason).toMatch(/^agreement with production 50\.0%/);
  });

  test('when the candidate has enough requests within bounds, then it is promoted; without enough compared images, not yet', () => {
    expect(
      judgeRollout(rollout, figures({ requests: 99, p99Ms: 50, compared: 40, agreement: 0.9 })).action,
    ).toBe('continue');
    expect(
      judgeRollout(rollout, figures({ requests: 100, p99Ms: 50, compared: 10, agreement: 1 })).action,
    ).toBe('continue');
    const verdict = judgeRollout(
      rollout,
      figures({ requests: 100, errors: 1, p99Ms: 50, compared: 40, agreement: 0.9 }),
    );
    expect(verdict.action).toBe('promote');
    expect(verdict.reason).toContain('v2 kept every bound over 100 requests');
    const manual = { candidate: 'v2', criteria: { ...criteria, autoPromote: false } };
    expect(
      judgeRollout(manual, figures({ requests: 1000, p99Ms: 50, compared: 40, agreement: 1 })).action,
    ).toBe('continue');
  });
});
