// Renders a load-test run as Markdown (report.md) and as one self-contained HTML page with inline
// SVG charts (report.html): per scenario, latency p50/p95/p99 and answers/s per artillery period.
import type { RolloutFigures } from './rollout-during-load.js';
import type { WindowFigures } from './artillery-report.js';
import type { PhaseFigures, RunResult, ScenarioResult } from './run-result.js';
import { lineChart } from './svg-chart.js';

const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)}`);
const rate = (value: number) => value.toFixed(1);
const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' / ');
const when = (epochMs: number | undefined, start: number) =>
  epochMs === undefined ? 'never' : `+${((epochMs - start) / 1000).toFixed(1)} s`;

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function periodRows(periods: readonly WindowFigures[]): string[][] {
  const start = periods[0]?.from ?? 0;
  return periods.map((p) => [
    `+${((p.from - start) / 1000).toFixed(0)} s`,
    rate(p.arrivalsPerSecond),
    rate(p.perSecond),
    ms(p.latency?.p50),
    ms(p.latency?.p95),
    ms(p.latency?.p99),
    ms(p.latency?.max),
    String(p.failed),
  ]);
}

const PERIOD_HEADER = ['period', 'arrivals/s', 'answers/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'failed'];

function phaseRow(name: string, phase: PhaseFigures): string[] {
  return [
    name,
    String(phase.periods),
    String(phase.responses),
    String(phase.failed),
    ms(phase.p50),
    ms(phase.p95),
    ms(phase.p99),
  ];
}

function retrainMarkdown(scenario: ScenarioResult): string[] {
  const retrain = scenario.retrain;
  if (!retrain) return [];
  const start = scenario.figures.periods[0]?.from ?? retrain.submittedAt;
  const promotion =
    retrain.promotedByGate === undefined
      ? 'not reached'
      : retrain.promotedByGate
        ? 'promoted by the evaluation gate'
        : `refused by the evaluation gate (${retrain.gateReason ?? 'no reason given'}), then promoted through POST /models/${retrain.toVersion}/promote so the swap happens`;
  const accuracy =
    retrain.accuracy === undefined
      ? ''
      : ` (accuracy ${(retrain.accuracy * 100).toFixed(2)}% against production ${((retrain.productionAccuracy ?? 0) * 100).toFixed(2)}% on the trainer's evaluation set)`;
  return [
    '',
    `Retrain job \`${retrain.jobId}\`: ${retrain.images} images, ${retrain.epochs} epoch(s), submitted ${when(retrain.submittedAt, start)}, completed ${when(retrain.completedAt, start)}, new version \`${retrain.toVersion ?? '-'}\` served from ${when(retrain.swappedAt, start)} (was \`${retrain.fromVersion}\`); ${promotion}${accuracy}.`,
    '',
    table(
      ['phase', 'periods', 'answers', 'failed', 'worst p50 ms', 'worst p95 ms', 'worst p99 ms'],
      [
        phaseRow('before the job', retrain.before),
        phaseRow('while training', retrain.training),
        phaseRow('around the swap', retrain.swap),
      ],
    ),
    ...(retrain.problems.length > 0
      ? ['', ...retrain.problems.map((problem) => `- **problem**: ${problem}`)]
      : []),
  ];
}

function rolloutMarkdown(scenario: ScenarioResult): string[] {
  const rollout = scenario.rollout;
  if (!rollout) return [];
  const start = scenario.figures.periods[0]?.from ?? rollout.startedAt;
  const share = rollout.candidateShare === undefined ? '-' : `${(rollout.candidateShare * 100).toFixed(1)}%`;
  const figures = (name: string, f: RolloutFigures | undefined) =>
    f ? `${name} ${f.requests} requests, ${f.errors} errors, p99 ${f.p99Ms ?? '-'} ms` : `${name} -`;
  return [
    '',
    `Canary \`${rollout.id ?? '-'}\` of \`${rollout.candidate}\` at ${rollout.percent}%: started ${when(rollout.startedAt, start)}, ${rollout.outcome ?? 'undecided'} by ${rollout.decidedBy ?? '-'} ${when(rollout.decidedAt, start)}, served by the gateway ${when(rollout.swappedAt, start)}; candidate share of the answers ${share}; ${figures('production', rollout.production)}; ${figures('candidate', rollout.canary)}${rollout.canary?.agreement == null ? '' : `, agreement ${(rollout.canary.agreement * 100).toFixed(1)}% of ${rollout.canary.compared}`}. Reason: ${rollout.reason ?? '-'}.`,
    ...(rollout.problems.length > 0
      ? ['', ...rollout.problems.map((problem) => `- **problem**: ${problem}`)]
      : []),
  ];
}

function scenarioMarkdown(scenario: ScenarioResult): string {
  const { total } = scenario.figures;
  const verdict =
    scenario.checks.every((check) => check.ok) && scenario.artilleryExitCode === 0 ? 'pass' : 'FAIL';
  return [
    `## ${scenario.name}: ${verdict}`,
    '',
    scenario.description,
    '',
    `${total.responses} answers (${total.ok} OK, ${total.failed} failed, ${total.serverErrors} 5xx) at ${rate(total.perSecond)}/s; latency p50 ${ms(total.latency?.p50)} ms, p95 ${ms(total.latency?.p95)} ms, p99 ${ms(total.latency?.p99)} ms, max ${ms(total.latency?.max)} ms. Raw artillery output: \`${scenario.rawFile}\`.`,
    '',
    table(
      ['SLO check', 'measured', 'result'],
      scenario.checks.map((check) => [
        `\`${check.check}\``,
        check.actual === undefined ? 'absent' : String(check.actual),
        check.ok ? 'ok' : '**breach**',
      ]),
    ),
    ...(scenario.artilleryExitCode === 0
      ? []
      : ['', `artillery exited with code ${scenario.artilleryExitCode}.`]),
    ...(scenario.knee
      ? [
          '',
          `Knee: at ${rate(scenario.knee.offered)} arrivals/s (${rate(scenario.knee.achieved)} answers/s), ${scenario.knee.reason}; the last period before it took ${rate(scenario.knee.lastGood?.offered ?? 0)} arrivals/s at p95 ${ms(scenario.knee.lastGood?.p95)} ms.`,
        ]
      : []),
    ...retrainMarkdown(scenario),
    ...rolloutMarkdown(scenario),
    '',
    table(PERIOD_HEADER, periodRows(scenario.figures.periods)),
    '',
  ].join('\n');
}

export function renderMarkdown(result: RunResult): string {
  const passed = result.scenarios.every((s) => s.artilleryExitCode === 0 && s.checks.every((c) => c.ok));
  return [
    `# Load test report (${result.mode}): ${passed ? 'all SLOs held' : 'SLO BREACH'}`,
    '',
    `- run: ${result.startedAt} to ${result.finishedAt}`,
    `- target: ${result.target} (${result.localStack ? 'local stack started by the driver' : 'TARGET'})`,
    `- images: ${result.images}`,
    `- machine: ${result.machine.cpus} CPUs; load average (1/5/15 min) before ${load(result.machine.loadBefore)}, after ${load(result.machine.loadAfter)}`,
    '',
    ...(result.machine.threads
      ? [
          'Threads and the CPU they last ran on, sampled under load:',
          '',
          '```',
          result.machine.threads.trimEnd(),
          '```',
          '',
        ]
      : []),
    ...result.scenarios.map(scenarioMarkdown),
  ].join('\n');
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Minimal Markdown-table and paragraph rendering for the HTML page (our own output only). */
function markdownToHtml(markdown: string): string {
  // Blocks are separated by blank lines, except inside a fenced code block.
  const blocks: string[] = [];
  let current: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (line === '' && !fenced) {
      if (current.length > 0) blocks.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length > 0) blocks.push(current.join('\n'));
  return blocks
    .map((block) => {
      const inline = (text: string) =>
        escapeHtml(text)
          .replace(/`([^`]+)`/g, '<code>$1</code>')
          .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
      if (block.startsWith('```')) return `<pre>${escapeHtml(block.replace(/^```\n?|\n?```$/g, ''))}</pre>`;
      if (block.startsWith('# ')) return `<h1>${inline(block.slice(2))}</h1>`;
      if (block.startsWith('## ')) return `<h2>${inline(block.slice(3))}</h2>`;
      if (block.startsWith('|')) {
        const [head, , ...rows] = block.split('\n');
        const cells = (row: string) =>
          row
            .slice(1, -1)
            .split(' | ')
            .map((cell) => cell.trim());
        return `<table><thead><tr>${cells(head!)
          .map((c) => `<th>${inline(c)}</th>`)
          .join('')}</tr></thead><tbody>${rows
          .map(
            (row) =>
              `<tr>${cells(row)
                .map((c) => `<td>${inline(c)}</td>`)
                .join('')}</tr>`,
          )
          .join('')}</tbody></table>`;
      }
      if (block.startsWith('- '))
        return `<ul>${block
          .split('\n')
          .map((line) => `<li>${inline(line.slice(2))}</li>`)
          .join('')}</ul>`;
      return `<p>${inline(block)}</p>`;
    })
    .join('\n');
}

function scenarioCharts(scenario: ScenarioResult): string {
  const periods = scenario.figures.periods;
  const start = periods[0]?.from ?? 0;
  const x = (p: WindowFigures) => (p.from - start) / 1000;
  const latency = (pick: 'p50' | 'p95' | 'p99') =>
    periods.filter((p) => p.latency).map((p) => [x(p), p.latency![pick]] as [number, number]);
  const retrain = scenario.retrain;
  const markers = retrain
    ? [
        { x: (retrain.submittedAt - start) / 1000, label: 'job submitted' },
        ...(retrain.swappedAt ? [{ x: (retrain.swappedAt - start) / 1000, label: 'swap' }] : []),
      ]
    : [];
  return [
    lineChart({
      title: `${scenario.name}: latency per 10 s period`,
      yLabel: 'ms',
      series: [
        { name: 'p50', color: '#2b7bb9', points: latency('p50') },
        { name: 'p95', color: '#e69f00', points: latency('p95') },
        { name: 'p99', color: '#c0392b', points: latency('p99') },
      ],
      markers,
    }),
    lineChart({
      title: `${scenario.name}: requests per second`,
      yLabel: 'per second',
      series: [
        { name: 'arrivals/s', color: '#999999', points: periods.map((p) => [x(p), p.arrivalsPerSecond]) },
        { name: 'answers/s', color: '#27ae60', points: periods.map((p) => [x(p), p.perSecond]) },
      ],
      markers,
    }),
  ].join('\n');
}

export function renderHtml(result: RunResult): string {
  const markdown = renderMarkdown(result);
  const [head, ...sections] = markdown.split(/\n(?=## )/);
  const body = [
    markdownToHtml(head!),
    ...sections.map((section, index) => {
      const scenario = result.scenarios[index];
      return `<section>${markdownToHtml(section)}${scenario ? `<div class="charts">${scenarioCharts(scenario)}</div>` : ''}</section>`;
    }),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>visionops load test (${result.mode}) ${escapeHtml(result.startedAt)}</title>
<style>
body { font-family: sans-serif; max-width: 1360px; margin: 1rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
section { border-top: 1px solid #ddd; margin-top: 1.5rem; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
