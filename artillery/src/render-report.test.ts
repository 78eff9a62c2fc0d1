// Report figures, knee, retrain phases and rendering, from a report of a real ramp run
// (fixtures/predict-ramp.sample.json).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { findKnee, parseArtilleryReport, reportFigures, type WindowFigures } from './artillery-report.js';
import { retrainPhases } from './phase-figures.js';
import { renderHtml, renderMarkdown } from './render-report.js';
import type { RunResult } from './run-result.js';
import { evaluateSlo, parseCondition } from './slo.js';

const sample = parseArtilleryReport(
  JSON.parse(readFileSync(new URL('./fixtures/predict-ramp.sample.json', import.meta.url), 'utf8')),
  'sample',
);
const figures = reportFigures(sample);

function runResult(): RunResult {
  return {
    mode: 'full',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:03:00.000Z',
    target: 'http://127.0.0.1:8080',
    localStack: true,
    images: '300 <test> images',
    machine: {
      cpus: 2,
      loadBefore: [1, 1, 1],
      loadAfter: [2, 2, 2],
      threads: 'gateway 1 2 main 90% cpu0\n\ntrainer 3 4 node 80% cpu1',
    },
    scenarios: [
      {
        name: 'predict-ramp',
        description: 'ramp',
        rawFile: 'predict-ramp.json',
        figures,
        checks: evaluateSlo(
          { thresholds: [], conditions: [parseCondition('vusers.failed == 0')] },
          sample.aggregate,
        ),
        artilleryExitCode: 1,
      },
    ],
  };
}

describe('reportFigures', () => {
  test('when a real report is reduced, then the periods add up to the aggregate', () => {
    const counters = sample.aggregate.counters;
    expect(figures.total.responses).toBe(counters['http.responses']);
    expect(figures.total.ok).toBe(counters['http.codes.200']);
    // Failed: answers that were not 200 plus requests that never got an answer (timeouts here).
    expect(figures.total.failed).toBe(
      counters['http.responses']! - counters['http.codes.200']! + counters['errors.ERR_SOCKET_TIMEOUT']!,
    );
    expect(figures.periods.reduce((total, p) => total + p.responses, 0)).toBe(figures.total.responses);
    expect(figures.periods.reduce((total, p) => total + p.failed, 0)).toBe(figures.total.failed);
    expect(figures.periods.map((p) => p.from)).toEqual(
      [...figures.periods.map((p) => p.from)].sort((a, b) => a - b),
    );
  });
});

describe('findKnee', () => {
  const period = (from: number, arrivals: number, answers: number, p95: number): WindowFigures => ({
    from,
    to: from + 9_999,
    responses: answers * 10,
    perSecond: answers,
    arrivalsPerSecond: arrivals,
    ok: answers * 10,
    failed: 0,
    serverErrors: 0,
    skipped: 0,
    latency: { min: 1, max: p95 * 2, mean: p95 / 2, p50: p95 / 2, p95, p99: p95 * 1.5 },
    codes: {},
    errors: {},
  });

  test('when latency doubles and stays up, then the knee is the first period of it', () => {
    const periods = [
      period(0, 10, 10, 20),
      period(1e4, 50, 50, 22),
      period(2e4, 100, 100, 80),
      period(3e4, 150, 120, 400),
    ];
    expect(findKnee(periods)).toMatchObject({ index: 2, offered: 100, lastGood: { offered: 50, p95: 22 } });
  });

  test('when one period is slow and the next is not, then that spike is not the knee', () => {
    const periods = [
      period(0, 10, 10, 20),
      period(1e4, 50, 50, 90),
      period(2e4, 100, 100, 25),
      period(3e4, 150, 150, 26),
    ];
    expect(findKnee(periods)).toBeUndefined();
  });

  test('when answers fall behind arrivals, then that is the knee even before latency doubles', () => {
    const periods = [period(0, 10, 10, 20), period(1e4, 200, 150, 30), period(2e4, 300, 160, 35)];
    expect(findKnee(periods)?.reason).toBe('150 answers/s for 200 arrivals/s');
  });

  test('when the real ramp ran past saturation, then a knee is found there', () => {
    const knee = findKnee(figures.periods);
    expect(knee).toBeDefined();
    expect(knee!.index).toBeGreaterThan(0);
  });
});

describe('retrainPhases', () => {
  test('when the job runs mid-load, then periods split into before, training and around the swap', () => {
    const periods = figures.periods;
    const at = (i: number) => periods[i]!.from + 5_000;
    const phases = retrainPhases(periods, {
      loadStartedAt: periods[0]!.from,
      submittedAt: at(3),
      completedAt: at(6),
      swappedAt: at(6) + 1_000,
    });
    expect(phases.before.periods).toBe(3);
    expect(phases.training.periods).toBe(4);
    expect(phases.swap.periods).toBe(1);
    expect(phases.swap.p99).toBe(periods[6]!.latency!.p99);
    expect(phases.before.p99).toBe(Math.max(...periods.slice(0, 3).map((p) => p.latency!.p99)));
  });
});

describe('renderMarkdown and renderHtml', () => {
  test('when a check failed, then the report says SLO BREACH and lists every period', () => {
    const markdown = renderMarkdown(runResult());
    expect(markdown).toMatch(/^# Load test report \(full\): SLO BREACH/);
    expect(markdown).toContain('| `vusers.failed == 0` | 45 | **breach** |');
    expect(markdown).toContain('artillery exited with code 1');
    const periodRows = markdown.split('\n').filter((line) => /^\| \+\d+ s \|/.test(line));
    expect(periodRows).toHaveLength(figures.periods.length);
  });

  test('when rendered as HTML, then it is one page with inline SVG charts and escaped text', () => {
    const html = renderHtml(runResult());
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(html.match(/<svg /g)).toHaveLength(2);
    // Latency chart: one line per percentile; rate chart: arrivals and answers.
    expect(html.match(/<polyline /g)).toHaveLength(5);
    expect(html).toContain('300 &lt;test&gt; images');
    expect(html).toContain('<strong>breach</strong>');
    // The thread samples stay in one preformatted block across their blank line.
    expect(html).toContain('<pre>gateway 1 2 main 90% cpu0\n\ntrainer 3 4 node 80% cpu1</pre>');
  });
});
