// The SLOs of a scenario, read from the `ensure` block of its YAML file (the one place they are
// written; artillery's ensure plugin enforces them during the run), and evaluated again here on
// artillery's JSON output, so the report can show every check with its measured value.
import type { ArtilleryPeriod } from './artillery-report.js';

/** `metric < max`, as the ensure plugin's `thresholds` entries mean it. */
export interface SloThreshold {
  metric: string;
  max: number;
}

/** A condition of the form `metric <op> number`, the only form our scenarios use. */
export interface SloCondition {
  expression: string;
  metric: string;
  op: '==' | '<' | '<=' | '>' | '>=';
  value: number;
}

export interface Slo {
  thresholds: SloThreshold[];
  conditions: SloCondition[];
}

export interface SloCheck {
  /** The check as written, e.g. `http.response_time.p99 < 250`. */
  check: string;
  /** The measured value; undefined when the metric is absent from the report. */
  actual: number | undefined;
  ok: boolean;
}

const CONDITION = /^\s*([\w.-]+)\s*(==|<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses `metric <op> number`; anything richer is refused rather than silently ignored. */
export function parseCondition(expression: string): SloCondition {
  const match = CONDITION.exec(expression);
  if (!match) throw new Error(`unsupported SLO condition "${expression}": use "metric <op> number"`);
  return {
    expression: expression.trim(),
    metric: match[1]!,
    op: match[2] as SloCondition['op'],
    value: Number(match[3]),
  };
}

/**
 * Reads the `ensure:` block of a scenario file: `thresholds` entries `- metric: number` and
 * `conditions` entries `- expression: metric <op> number`. The scenario files are ours and keep to
 * this shape; a block that yields no check at all is an error, so a reformatted file cannot
 * silently drop its SLOs.
 */
export function readScenarioSlo(yaml: string, source: string): Slo {
  const lines = yaml.split('\n');
  const start = lines.findIndex((line) => /^\s*ensure:\s*$/.test(line));
  if (start < 0) throw new Error(`${source} has no ensure block`);
  const indent = lines[start]!.search(/\S/);
  const slo: Slo = { thresholds: [], conditions: [] };
  let section: 'thresholds' | 'conditions' | undefined;
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (line.search(/\S/) <= indent) break;
    const trimmed = line.trim();
    if (trimmed === 'thresholds:' || trimmed === 'conditions:') {
      section = trimmed.slice(0, -1) as typeof section;
      continue;
    }
    const threshold = /^-\s*([\w.-]+):\s*(\d+(?:\.\d+)?)\s*$/.exec(trimmed);
    if (section === 'thresholds' && threshold) {
      slo.thresholds.push({ metric: threshold[1]!, max: Number(threshold[2]) });
      continue;
    }
    const condition = /^-?\s*expression:\s*['"]?(.+?)['"]?\s*$/.exec(trimmed);
    if (section === 'conditions' && condition) slo.conditions.push(parseCondition(condition[1]!));
  }
  if (slo.thresholds.length + slo.conditions.length === 0) {
    throw new Error(`${source}: its ensure block has no thresholds or conditions`);
  }
  return slo;
}

/** The values the ensure plugin sees: counters, and every summary as `name.aggregation`. */
export function metricValues(period: ArtilleryPeriod): Map<string, number> {
  const values = new Map<string, number>(Object.entries(period.counters));
  for (const [name, summary] of Object.entries(period.summaries)) {
    for (const [aggregation, value] of Object.entries(summary) as [string, number][]) {
      values.set(`${name}.${aggregation}`, value);
    }
  }
  return values;
}

function compare(actual: number, op: SloCondition['op'], value: number): boolean {
  switch (op) {
    case '==':
      return actual === value;
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
  }
}

/** Every check of `slo` against one period (usually the aggregate); an absent metric fails. */
export function evaluateSlo(slo: Slo, period: ArtilleryPeriod): SloCheck[] {
  const values = metricValues(period);
  return [
    ...slo.thresholds.map(({ metric, max }) => {
      const actual = values.get(metric);
      return { check: `${metric} < ${max}`, actual, ok: actual !== undefined && actual < max };
    }),
    ...slo.conditions.map(({ expression, metric, op, value }) => {
      const actual = values.get(metric);
      return { check: expression, actual, ok: actual !== undefined && compare(actual, op, value) };
    }),
  ];
}
