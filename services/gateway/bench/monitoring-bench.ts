// `npm run bench:monitoring [-- --entries N]`: what a read of the last hour of the prediction log
// costs the gateway's main thread, as the drift refresh (every MONITORING_INTERVAL_MS) and the
// dashboard's Monitoring page (every 5 s) make it. Fills a private stream on REDIS_URL with N
// entries of the log's shape (default 30,000), then, in rounds, reads the hour whole (every entry
// parsed, as each call did before) and through ParsedPredictionLog, each time after a minute of
// traffic at 20 requests/s. Prints each round, then one JSON line with the medians and their ratio.
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { LABELS, loadConfig } from '@visionops/core';
import { ParsedPredictionLog, readLogWindow } from '../src/monitoring/parsed-prediction-log.js';
import type { PredictionRecord } from '../src/monitoring/prediction-record.js';

const ROUNDS = 5;
const HOUR_MS = 3_600_000;
/** A minute of traffic at 20 requests/s, added before each round. */
const MINUTE_OF_TRAFFIC = 1200;

const { values } = parseArgs({ options: { entries: { type: 'string', default: '30000' } } });
const entries = Number(values.entries);
if (!Number.isInteger(entries) || entries < 1) throw new Error('--entries must be a whole number above 0');

const redis = new Redis(loadConfig({ ...process.env }).REDIS_URL);
const key = `bench-${randomUUID()}:predictions`;

async function addTraffic(count: number): Promise<void> {
  for (let done = 0; done < count; done += 5000) {
    const pipeline = redis.pipeline();
    for (let i = done; i < Math.min(count, done + 5000); i++) {
      const record: PredictionRecord = {
        id: randomUUID(),
        t: Date.now(),
        v: 'v1',
        top: [
          [LABELS[i % 10]!, 0.7],
          [LABELS[(i + 1) % 10]!, 0.2],
          [LABELS[(i + 2) % 10]!, 0.05],
        ],
        ms: 8.2,
        mean: [0.4, 0.5, 0.6],
        std: [0.2, 0.21, 0.22],
        fmt: 'jpeg',
        w: 32,
        h: 32,
      };
      pipeline.xadd(key, '*', 'd', JSON.stringify(record));
    }
    await pipeline.exec();
  }
}

/** Wall time of `read` and the longest the event loop waited meanwhile, in ms. */
async function timed(read: () => Promise<PredictionRecord[]>) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const records = await read();
  const ms = performance.now() - started;
  delay.disable();
  return { n: records.length, ms, stallMs: delay.max / 1e6 };
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const round1 = (value: number) => Math.round(value * 10) / 10;

try {
  await addTraffic(entries);
  const log = new ParsedPredictionLog(redis, key);
  const whole: { ms: number; stallMs: number }[] = [];
  const parsed: { ms: number; stallMs: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // The first round fills the parsed log: it reads the hour whole once.
    if (round > 0) await addTraffic(MINUTE_OF_TRAFFIC);
    const now = Date.now();
    const a = await timed(() => readLogWindow(redis, key, 'v1', now - HOUR_MS, now));
    const b = await timed(() => log.records('v1', now - HOUR_MS, now, now));
    if (a.n !== b.n) throw new Error(`the two reads disagree: ${a.n} against ${b.n} records`);
    console.log(
      `round ${round}: ${a.n} records; whole read ${a.ms.toFixed(0)} ms (longest event-loop stall ` +
        `${a.stallMs.toFixed(0)} ms), parsed log ${b.ms.toFixed(0)} ms (stall ${b.stallMs.toFixed(0)} ms)` +
        (round === 0 ? ', its first read' : ''),
    );
    if (round > 0) {
      whole.push(a);
      parsed.push(b);
    }
  }
  const wholeMs = median(whole.map((each) => each.ms));
  const parsedMs = median(parsed.map((each) => each.ms));
  console.log(
    JSON.stringify({
      bench: 'monitoring',
      entries,
      newEntriesPerRound: MINUTE_OF_TRAFFIC,
      wholeReadMs: round1(wholeMs),
      wholeReadStallMs: round1(median(whole.map((each) => each.stallMs))),
      parsedLogMs: round1(parsedMs),
      parsedLogStallMs: round1(median(parsed.map((each) => each.stallMs))),
      wholeOverParsed: round1(wholeMs / parsedMs),
    }),
  );
} finally {
  await redis.del(key);
  redis.disconnect();
}
