// Copies the prediction log to S3 for history beyond the stream's bounds: every
// PREDICTION_LOG_ROLLUP_INTERVAL_MS one gateway (under a Redis lock) reads the entries added since
// the last copy and writes them as gzipped JSON lines, one object per batch, then moves the cursor.
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Redis } from 'ioredis';
import { RedisKeys, S3Keys, type Config, type Logger } from '@visionops/core';
import type { ObjectStore } from '@visionops/core/registry';

const gzipAsync = promisify(gzip);
/** Entries per S3 object, and objects per run at most (the rest waits for the next run). */
export const ROLLUP_BATCH = 10_000;
const MAX_BATCHES_PER_RUN = 20;
const LOCK_MS = 120_000;
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type RollupOutcome = { outcome: 'locked' } | { outcome: 'done'; entries: number; objects: string[] };

export class PredictionRollup {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly config: Pick<Config, 'QUEUE_PREFIX' | 'PREDICTION_LOG_ROLLUP_INTERVAL_MS'>,
    private readonly redis: Redis,
    private readonly store: ObjectStore,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.config.PREDICTION_LOG_ROLLUP_INTERVAL_MS === 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'prediction log roll-up failed; retried next time'),
        )
        .finally(() => (this.running = undefined));
    }, this.config.PREDICTION_LOG_ROLLUP_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async runOnce(): Promise<RollupOutcome> {
    const prefix = this.config.QUEUE_PREFIX;
    const lockKey = RedisKeys.predictionRollupLock(prefix);
    const token = randomUUID();
    if ((await this.redis.set(lockKey, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return { outcome: 'locked' };
    try {
      const cursorKey = RedisKeys.predictionRollupCursor(prefix);
      const objects: string[] = [];
      let entries = 0;
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
        const cursor = await this.redis.get(cursorKey);
        const read = await this.redis.xrange(
          RedisKeys.predictionLog(prefix),
          cursor ? `(${cursor}` : '-',
          '+',
          'COUNT',
          ROLLUP_BATCH,
        );
        if (read.length === 0) break;
        const firstId = read[0]![0];
        const lastId = read[read.length - 1]![0];
        const lines = read.map(([, fields]) => fields[1] ?? 'null').join('\n') + '\n';
        const day = new Date(Number(firstId.split('-')[0])).toISOString().slice(0, 10);
        const key = S3Keys.predictionBatch(day, firstId, lastId);
        await this.store.put(key, await gzipAsync(lines), 'application/gzip');
        // The cursor moves only after the object is in place: a failure repeats a batch, never skips one.
        await this.redis.set(cursorKey, lastId);
        objects.push(key);
        entries += read.length;
        if (read.length < ROLLUP_BATCH) break;
      }
      if (entries > 0)
        this.logger.info({ entries, objects: objects.length }, 'prediction log rolled up to S3');
      return { outcome: 'done', entries, objects };
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, lockKey, token);
    }
  }
}
