import { describe, expect, it } from 'vitest';
import { learningRateAt } from './schedule.js';

describe('learning-rate schedules', () => {
  it('when one-cycle, then it warms up linearly to the peak and decays linearly to zero', () => {
    const schedule = { kind: 'one-cycle', peak: 0.4, warmup: 0.2 } as const;
    expect(learningRateAt(schedule, 0)).toBeCloseTo(0.04);
    expect(learningRateAt(schedule, 0.1)).toBeCloseTo(0.22);
    expect(learningRateAt(schedule, 0.2)).toBeCloseTo(0.4);
    expect(learningRateAt(schedule, 0.6)).toBeCloseTo(0.2);
    expect(learningRateAt(schedule, 1)).toBeCloseTo(0);
  });

  it('when cosine, then it goes from the peak to the end value through the midpoint', () => {
    const schedule = { kind: 'cosine', peak: 0.1, end: 0.01 } as const;
    expect(learningRateAt(schedule, 0)).toBeCloseTo(0.1);
    expect(learningRateAt(schedule, 0.5)).toBeCloseTo(0.055);
    expect(learningRateAt(schedule, 1)).toBeCloseTo(0.01);
  });

  it('when progress is outside [0, 1], then it is clamped', () => {
    expect(learningRateAt({ kind: 'constant', value: 0.3 }, 5)).toBe(0.3);
    expect(learningRateAt({ kind: 'cosine', peak: 1 }, -1)).toBeCloseTo(1);
  });
});
