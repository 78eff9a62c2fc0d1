// The promotion gate: not worse than production by more than the tolerance, and says why.
import { describe, expect, test } from 'vitest';
import { gateVerdict } from './retrain-card.js';

describe('gateVerdict', () => {
  const production = { version: 'v4', accuracy: 0.85 };

  test('when the candidate is better or within the tolerance, then it is promoted', () => {
    expect(gateVerdict(0.9, production, 0.01).promoted).toBe(true);
    expect(gateVerdict(0.845, production, 0.01)).toMatchObject({ promoted: true, tolerance: 0.01 });
    expect(gateVerdict(0.84, production, 0.01).promoted).toBe(true);
    expect(gateVerdict(0.9, production, 0.01).reason).toBe(
      'promoted: accuracy 90.00% is at least that of production v4 (85.00%)',
    );
    expect(gateVerdict(0.845, production, 0.01).reason).toBe(
      'promoted: accuracy 84.50% is 0.50 points below production v4 (85.00%), within the tolerance of 1.00 points',
    );
  });

  test('when the candidate is worse by more than the tolerance, then it is not, and the reason names both accuracies', () => {
    const verdict = gateVerdict(0.8399, production, 0.01);
    expect(verdict.promoted).toBe(false);
    expect(verdict.reason).toBe(
      'not promoted: accuracy 83.99% is more than 1.00 points below production v4 (85.00%)',
    );
  });
});
