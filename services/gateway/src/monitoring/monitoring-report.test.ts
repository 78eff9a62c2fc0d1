// The monitoring report's latency figures describe plain serving: explained predictions, whose
// latency includes their saliency maps, count everywhere else but not there.
import { describe, expect, test } from 'vitest';
import { buildMonitoringReport } from './monitoring-report.js';
import type { PredictionRecord } from './prediction-record.js';

function record(ms: number, explained: boolean): PredictionRecord {
  return {
    id: `${ms}`,
    t: 1000,
    v: 'v1',
    top: [['cat', 0.9]],
    ms,
    mean: [0.5, 0.5, 0.5],
    std: [0.2, 0.2, 0.2],
    ...(explained && { ex: true }),
  };
}

const report = (records: PredictionRecord[]) =>
  buildMonitoringReport({
    version: 'v1',
    from: 0,
    to: 2000,
    records,
    lookup: { unavailable: 'no reference in this test' },
    lowConfidence: 0.5,
    thumbnailPolicy: 'no inputs kept in this test',
  });

describe('buildMonitoringReport', () => {
  test('when some predictions were explained, then they count as predictions but not in the latency percentiles', () => {
    const plain = Array.from({ length: 10 }, (_, i) => record(5 + i, false));
    const explained = Array.from({ length: 10 }, (_, i) => record(300 + i, true));
    const figures = report([...plain, ...explained]);
    expect(figures.predictions).toBe(20);
    expect(figures.classes.find((c) => c.label === 'cat')!.count).toBe(20);
    expect(figures.latencyMs).toEqual({ p50: 10, p95: 14, p99: 14 });
  });

  test('when every prediction was explained, then there are no latency figures', () => {
    expect(report([record(300, true)]).latencyMs).toBeNull();
  });
});
