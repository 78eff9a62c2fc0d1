// The prediction log's writer: answered predictions are sampled, summarised (top-3, latency, input
// statistics) and queued in memory; a timer writes the queue to a bounded Redis stream in one
// pipeline. Requests never wait for Redis, and while Redis is away entries are dropped (counted),
// never retried into an unbounded backlog.
import { Redis } from 'ioredis';
import { LABELS, OutageLog, RedisKeys, type Config, type Logger } from '@visionops/core';
import { imageInfo, inputStatistics } from '@visionops/core/monitoring';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { FeedbackCandidates, newPredictionId, type FeedbackCandidate } from './feedback-candidates.js';
import type { PredictionRecord } from './prediction-record.js';

/** One answered prediction, as the classify path hands it over. */
export interface AnsweredPrediction {
  id: string;
  modelVersion: string;
  probabilities: Float32Array;
  /** The 32x32 RGB input (HWC uint8). */
  pixels: Uint8Array;
  /** The encoded image as sent, when there was one (its header gives format and size). */
  encoded?: Buffer;
  latencyMs: number;
  /** Answered with an explanation (POST /predict?explain=true). */
  explained?: boolean;
}

export const FLUSH_INTERVAL_MS = 200;
/** Entries that wait for a write at most; beyond, new ones are dropped (Redis is slow or away). */
export const MAX_QUEUED = 20_000;
const FLUSH_AT = 512;
const TRIM_INTERVAL_MS = 10_000;

/**
 * Gives each image of one answer its predictionId and hands the answer to the log (when there is
 * one): /predict and the V2 infer route log alike, so monitoring and feedback cover both.
 */
export function logAnswer(
  log: PredictionLog | undefined,
  answer: {
    modelVersion: string;
    probabilities: readonly Float32Array[];
    pixels: readonly Uint8Array[];
    encoded?: readonly (Buffer | undefined)[];
    latencyMs: number;
    /** An explained prediction (its latency includes the explanation). */
    explained?: boolean;
  },
): string[] {
  const ids = answer.probabilities.map(() => newPredictionId());
  log?.record(
    ids.map((id, i) => ({
      id,
      modelVersion: answer.modelVersion,
      probabilities: answer.probabilities[i]!,
      pixels: answer.pixels[i]!,
      ...(answer.encoded?.[i] && { encoded: answer.encoded[i] }),
      latencyMs: answer.latencyMs,
      ...(answer.explained && { explained: true }),
    })),
  );
  return ids;
}

function topThree(probabilities: Float32Array): [(typeof LABELS)[number], number][] {
  const order = LABELS.map((_, c) => c).sort((a, b) => probabilities[b]! - probabilities[a]!);
  return order.slice(0, 3).map((c) => [LABELS[c]!, Math.round(probabilities[c]! * 1e6) / 1e6]);
}

interface Queued {
  record: PredictionRecord;
  pixels: Uint8Array;
}

export class PredictionLog {
  private readonly redis: Redis;
  private readonly key: string;
  private queue: Queued[] = [];
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastTrim = 0;
  private readonly outage: OutageLog;
  private readonly candidates: FeedbackCandidates;

  constructor(
    private readonly config: Pick<
      Config,
      | 'REDIS_URL'
      | 'QUEUE_PREFIX'
      | 'PREDICTION_LOG_SAMPLE_RATE'
      | 'PREDICTION_LOG_MAX_ENTRIES'
      | 'PREDICTION_LOG_RETENTION_HOURS'
      | 'PREDICTION_STORE_IMAGES'
      | 'PREDICTION_FEEDBACK_WINDOW_MINUTES'
    >,
    private readonly metrics: GatewayMetrics,
    logger: Logger,
  ) {
    this.outage = new OutageLog(
      logger,
      'prediction log write failed; entries dropped',
      'prediction log writes resumed',
    );
    // A connection of its own, so log writes never queue behind (or in front of) the rate limiter's
    // commands; no offline queue, so a write during an outage fails at once and is dropped.
    this.redis = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    this.redis.on('error', () => {
      // Reported once per outage by flush(); the client keeps reconnecting.
    });
    this.key = RedisKeys.predictionLog(config.QUEUE_PREFIX);
    this.candidates = new FeedbackCandidates(config.QUEUE_PREFIX, config.PREDICTION_FEEDBACK_WINDOW_MINUTES);
  }

  get streamKey(): string {
    return this.key;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Takes answered predictions; synchronous and cheap, nothing here waits for Redis. */
  record(predictions: readonly AnsweredPrediction[]): void {
    const now = Date.now();
    for (const prediction of predictions) {
      const top = topThree(prediction.probabilities);
      this.metrics.predictionClass.inc({ label: top[0]![0] });
      this.metrics.predictionConfidence.observe(top[0]![1]);
      const rate = this.config.PREDICTION_LOG_SAMPLE_RATE;
      if (rate < 1 && Math.random() >= rate) continue;
      if (this.queue.length >= MAX_QUEUED) {
        this.metrics.predictionLogDropped.inc();
        continue;
      }
      const info = prediction.encoded && imageInfo(prediction.encoded);
      const { mean, std } = inputStatistics(prediction.pixels);
      const store = this.config.PREDICTION_STORE_IMAGES;
      this.queue.push({
        record: {
          id: prediction.id,
          t: now,
          v: prediction.modelVersion,
          top,
          ms: Math.round(prediction.latencyMs * 100) / 100,
          mean,
          std,
          ...(info && { fmt: info.format, w: info.width, h: info.height }),
          ...(store && { img: true }),
          ...(prediction.explained && { ex: true }),
        },
        pixels: prediction.pixels,
      });
    }
    if (this.queue.length >= FLUSH_AT && !this.writing) setImmediate(() => void this.flush());
  }

  /** Writes what is queued (one write at a time); resolves when that write is done, never rejects. */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async write(batch: Queued[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    const retentionSeconds = Math.ceil(this.config.PREDICTION_LOG_RETENTION_HOURS * 3600);
    const candidates = new Map<string, FeedbackCandidate>();
    for (const { record, pixels } of batch) {
      pipeline.xadd(
        this.key,
        'MAXLEN',
        '~',
        this.config.PREDICTION_LOG_MAX_ENTRIES,
        '*',
        'd',
        JSON.stringify(record),
      );
      const input = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
      if (this.candidates.enabled) {
        candidates.set(record.id, { modelVersion: record.v, label: record.top[0]![0], pixels: input });
      }
      if (record.img) {
        pipeline.set(
          RedisKeys.predictionInput(this.config.QUEUE_PREFIX, record.id),
          input,
          'EX',
          retentionSeconds,
        );
      }
    }
    this.candidates.add(pipeline, candidates);
    const now = Date.now();
    if (now - this.lastTrim > TRIM_INTERVAL_MS) {
      this.lastTrim = now;
      // Stream ids start with their time in ms, so MINID drops entries older than the retention.
      pipeline.xtrim(this.key, 'MINID', '~', now - retentionSeconds * 1000);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error)?.[0];
      if (failed) throw failed;
      this.metrics.predictionLogWritten.inc(batch.length);
      this.outage.recovered();
    } catch (error) {
      this.metrics.predictionLogDropped.inc(batch.length);
      this.outage.failed(error, { dropped: batch.length });
    }
  }

  /** Resolves once everything recorded so far is written (or dropped). */
  async settle(): Promise<void> {
    // A write in flight may have left newer entries queued behind it: the second flush takes them.
    await this.flush();
    await this.flush();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch(() => undefined);
    await this.flush().catch(() => undefined);
    this.redis.disconnect();
  }
}
