// A small parser of the Prometheus text format (what /metrics answers) and the few figures the
// System page derives from two scrapes: requests per second and mean latency between them.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined && raw !== undefined)
        labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `where`. */
export function sum(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + (Number.isFinite(s.value) ? s.value : 0), 0);
}

export interface HttpTotals {
  count: number;
  seconds: number;
}

/** Request count and total duration of the API (the metrics and dashboard requests left out). */
export function httpTotals(samples: readonly Sample[]): HttpTotals {
  let count = 0;
  let seconds = 0;
  for (const s of samples) {
    if (s.labels.route === '/metrics') continue;
    if (s.name === 'visionops_http_request_duration_seconds_count') count += s.value;
    if (s.name === 'visionops_http_request_duration_seconds_sum') seconds += s.value;
  }
  return { count, seconds };
}

export interface Rates {
  requestsPerSecond: number;
  /** Mean latency in ms over the interval, or null when no request came in. */
  meanLatencyMs: number | null;
}

export function ratesBetween(before: HttpTotals, after: HttpTotals, intervalSeconds: number): Rates {
  const requests = Math.max(0, after.count - before.count);
  return {
    requestsPerSecond: intervalSeconds > 0 ? requests / intervalSeconds : 0,
    meanLatencyMs: requests > 0 ? ((after.seconds - before.seconds) / requests) * 1000 : null,
  };
}
