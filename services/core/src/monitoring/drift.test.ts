import { describe, expect, test } from 'vitest';
import {
  binIndex,
  buildDriftReference,
  DRIFT_MIN_PREDICTIONS,
  measureDrift,
  psi,
  type MonitoredPrediction,
} from './drift.js';

// A deterministic spread of predictions: classes round-robin, inputs of moderate brightness.
function predictions(
  n: number,
  change: (p: MonitoredPrediction, i: number) => MonitoredPrediction = (p) => p,
) {
  return Array.from({ length: n }, (_, i) => {
    const u = ((i * 7919) % 1000) / 1000;
    const base: MonitoredPrediction = {
      classIndex: i % 10,
      confidence: 0.4 + 0.6 * u,
      mean: [0.3 + 0.4 * u, 0.35 + 0.3 * ((u * 3) % 1), 0.25 + 0.5 * ((u * 7) % 1)],
      std: [0.1 + 0.2 * ((u * 5) % 1), 0.1 + 0.2 * u, 0.12 + 0.15 * ((u * 11) % 1)],
    };
    return change(base, i);
  });
}

describe('psi', () => {
  test('when both distributions are equal, then the index is 0; when they differ, it is positive', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(
      0.4 * Math.log(0.9 / 0.5) - 0.4 * Math.log(0.1 / 0.5),
      10,
    );
  });
  test('when a bin is empty on one side, then the index stays finite', () => {
    expect(Number.isFinite(psi([1, 0], [0, 1]))).toBe(true);
  });
});

describe('binIndex', () => {
  test('when a value sits on an edge, then it belongs to the lower bin', () => {
    expect([0, 1, 1.5, 2, 3].map((value) => binIndex([1, 2], value))).toEqual([0, 0, 1, 1, 2]);
  });
});

describe('measureDrift', () => {
  const reference = buildDriftReference(predictions(2000), { version: 'v1', source: 'test' });

  test('when the live predictions look like the reference, then no signal fires', () => {
    const result = measureDrift(reference, predictions(500));
    expect(result.alert).toBe(false);
    for (const signal of result.signals) expect(signal.psi).toBeLessThan(0.1);
  });

  test('when every input is grey, then the colour signal fires', () => {
    const grey = predictions(200, (p) => {
      const level = (p.mean[0] + p.mean[1] + p.mean[2]) / 3;
      return { ...p, mean: [level, level, level] };
    });
    const result = measureDrift(reference, grey);
    expect(result.alert).toBe(true);
    expect(result.fired).toContain('colour');
    expect(result.fired).not.toContain('class');
  });

  test('when every prediction is one class, then the class signal fires and only it', () => {
    const result = measureDrift(
      reference,
      predictions(200, (p) => ({ ...p, classIndex: 3 })),
    );
    expect(result.fired).toEqual(['class']);
  });

  test('when there are too few live predictions, then nothing fires whatever the scores', () => {
    const few = predictions(DRIFT_MIN_PREDICTIONS - 1, (p) => ({ ...p, classIndex: 3 }));
    const result = measureDrift(reference, few);
    expect(result.enough).toBe(false);
    expect(result.alert).toBe(false);
    expect(result.signals.find((s) => s.signal === 'class')!.psi).toBeGreaterThan(1);
  });
});
