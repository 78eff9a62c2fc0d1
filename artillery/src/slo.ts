// The SLOs of a scenario, read from the `ensure` block of its YAML file (the one place they are
// written; artillery's ensure plugin enforces them during the run), and evaluated again here on
// artillery's JSON output, so the report can show every check with its measured value.
import { parse } from 'yaml';
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
 * Reads `config.ensure` of a scenario file: `thresholds` entries `- metric: number` and
 * `conditions` entries `- expression: metric <op> number`. An entry of another shape is an error,
 * and so is a block that yields no check at all, so an edited file cannot silently drop its SLOs.
 */
export function readScenarioSlo(text: string, source: string): Slo {
  const document: unknown = parse(text);
  const config = isRecord(document) ? document.config : undefined;
  const ensure = isRecord(config) ? config.ensure : undefined;
  if (!isRecord(ensure)) throw new Error(`${source} has no ensure block`);
  const list = (name: string): unknown[] => {
    const value = ensure[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new Error(`${source}: ensure.${name} is not a list`);
    return value as unknown[];
  };
  const slo: Slo = {
    thresholds: list('thresholds').map((entry) => {
      const pairs = isRecord(entry) ? Object.entries(entry) : [];
      const [metric, max] = pairs[0] ?? [];
      if (pairs.length !== 1 || typeof max !== 'number') {
        throw new Error(`${source}: a threshold is "- metric: number", got ${JSON.stringify(entry)}`);
      }
      return { metric: metric!, max };
    }),
    conditions: list('conditions').map((entry) => {
      const expression = isRecord(entry) ? entry.expression : undefined;
      if (typeof expression !== 'string') {
        throw new Error(`${source}: a condition is "- expression: ...", got ${JSON.stringify(entry)}`);
      }
      return parseCondition(expression);
    }),
  };
  if (slo.thresholds.length + slo.conditions.length === 0) {
    throw new Error(`${source}: its ensure block has no thresholds or conditions`);
  }
  return slo;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
