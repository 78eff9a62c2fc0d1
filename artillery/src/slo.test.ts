// SLOs: read from the scenario files as written, and evaluated on a report from a real ramp run
// (fixtures/predict-ramp.sample.json: a loaded machine, so it has timeouts and dropped arrivals).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseArtilleryReport } from './artillery-report.js';
import { scenarioDir } from './run-artillery.js';
import { evaluateSlo, parseCondition, readScenarioSlo } from './slo.js';

const sample = parseArtilleryReport(
  JSON.parse(readFileSync(new URL('./fixtures/predict-ramp.sample.json', import.meta.url), 'utf8')),
  'sample',
);
const p99 = sample.aggregate.summaries['http.response_time']!.p99;

describe('readScenarioSlo', () => {
  const files = readdirSync(scenarioDir).filter((name) => name.endsWith('.yml'));

  test('when every scenario file is read, then each holds a p99 bound and zero failed predictions', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const slo = readScenarioSlo(readFileSync(join(scenarioDir, file), 'utf8'), file);
      expect(
        slo.thresholds.map((t) => t.metric),
        file,
      ).toContain('http.response_time.p99');
      expect(
        slo.conditions.map((c) => c.expression),
        file,
      ).toEqual(
        expect.arrayContaining(['predict.server_errors == 0', 'predict.not_ok == 0', 'vusers.failed == 0']),
      );
    }
  });

  test('when the ensure block is missing or empty, then reading fails instead of dropping the SLOs', () => {
    expect(() => readScenarioSlo('config:\n  target: x\n', 'none.yml')).toThrow(/no ensure block/);
    expect(() =>
      readScenarioSlo('config:\n  ensure:\n    maxErrorRate: 1\nscenarios: []\n', 'odd.yml'),
    ).toThrow(/no thresholds or conditions/);
  });

  test('when an entry has another shape, then reading fails and names it', () => {
    const file = (ensure: string) => `config:\n  ensure:\n${ensure}scenarios: []\n`;
    expect(() =>
      readScenarioSlo(file('    thresholds:\n      - http.response_time.p99: fast\n'), 'a.yml'),
    ).toThrow(/a threshold is "- metric: number"/);
    expect(() => readScenarioSlo(file('    conditions:\n      - vusers.failed == 0\n'), 'b.yml')).toThrow(
      /a condition is "- expression: ..."/,
    );
    // YAML's own forms read the same as the block style the scenario files use.
    expect(
      readScenarioSlo(
        file(
          '    thresholds: [{ http.response_time.p99: 250 }]\n    conditions: [{ expression: "vusers.failed == 0" }]\n',
        ),
        'c.yml',
      ),
    ).toEqual({
      thresholds: [{ metric: 'http.response_time.p99', max: 250 }],
      conditions: [parseCondition('vusers.failed == 0')],
    });
  });

  test('when a condition is more than "metric op number", then it is refused', () => {
    expect(parseCondition('vusers.failed <= 2')).toMatchObject({
      metric: 'vusers.failed',
      op: '<=',
      value: 2,
    });
    expect(() => parseCondition('vusers.failed == 0 and http.codes.500 == 0')).toThrow(/unsupported/);
  });
});

describe('evaluateSlo', () => {
  test('when the p99 bound is above the measured p99, then it holds; at or below it, it is a breach', () => {
    const check = (max: number) =>
      evaluateSlo(
        { thresholds: [{ metric: 'http.response_time.p99', max }], conditions: [] },
        sample.aggregate,
      )[0];
    expect(check(p99 + 1)).toEqual({ check: `http.response_time.p99 < ${p99 + 1}`, actual: p99, ok: true });
    expect(check(p99)?.ok).toBe(false);
  });

  test('when the run had socket timeouts, then "vusers.failed == 0" is a breach and the 5xx condition holds', () => {
    const checks = evaluateSlo(
      {
        thresholds: [],
        conditions: [parseCondition('vusers.failed == 0'), parseCondition('predict.server_errors == 0')],
      },
      sample.aggregate,
    );
    expect(checks).toEqual([
      { check: 'vusers.failed == 0', actual: sample.aggregate.counters['vusers.failed'], ok: false },
      { check: 'predict.server_errors == 0', actual: 0, ok: true },
    ]);
    expect(sample.aggregate.counters['vusers.failed']).toBeGreaterThan(0);
  });

  test('when a metric is absent from the report, then its check fails rather than passing by default', () => {
    const [check] = evaluateSlo(
      { thresholds: [{ metric: 'no.such.metric', max: 1 }], conditions: [] },
      sample.aggregate,
    );
    expect(check).toEqual({ check: 'no.such.metric < 1', actual: undefined, ok: false });
  });
});
