import { describe, expect, it } from 'vitest';
import { classificationReport, formatClassificationReport } from './classification-report.js';

describe('classificationReport', () => {
  it('when a class is predicted for others too, then its precision falls and their recall falls', () => {
    // actual a: 8 right, 2 called b; actual b: 5 right, 5 called a.
    const report = classificationReport(
      [
        [8, 2],
        [5, 5],
      ],
      ['a', 'b'],
    );
    const [a, b] = report.classes;
    expect(a).toMatchObject({ label: 'a', support: 10 });
    expect(a!.precision).toBeCloseTo(8 / 13);
    expect(a!.recall).toBeCloseTo(0.8);
    expect(a!.f1).toBeCloseTo((2 * (8 / 13) * 0.8) / (8 / 13 + 0.8));
    expect(b!.precision).toBeCloseTo(5 / 7);
    expect(b!.recall).toBeCloseTo(0.5);
    expect(report.accuracy).toBeCloseTo(13 / 20);
    expect(report.macro.recall).toBeCloseTo(0.65);
  });

  it('when a class is never predicted and has no images, then its scores are 0 instead of NaN', () => {
    const report = classificationReport(
      [
        [3, 0],
        [0, 0],
      ],
      ['a', 'b'],
    );
    expect(report.classes[1]).toEqual({ label: 'b', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(formatClassificationReport(report)).not.toContain('NaN');
  });
});
