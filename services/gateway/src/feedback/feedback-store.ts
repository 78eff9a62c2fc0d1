// Feedback on predictions, in Redis (shared by every gateway): the true label a user gives for a
// predictionId within the feedback window, the input kept for retraining, live accuracy per
// version, and the class-folder ZIP of the labelled inputs not yet retrained on.
import { LABELS, RedisKeys, type Config, type Label } from '@visionops/core';
import { writeClassFolderZip } from '@visionops/core/dataset';
import type { Redis } from 'ioredis';
import { AppError } from '../app-error.js';
import {
  FeedbackCandidates,
  predictionIdTime,
  type FeedbackCandidate,
} from '../monitoring/feedback-candidates.js';
import { FLUSH_INTERVAL_MS } from '../monitoring/prediction-log.js';
import type { Feedback, FeedbackList } from './feedback-schemas.js';

const RECENT = 50;
/**
 * Drops the oldest feedback past the bound, with its kept input and its used mark, in one step so
 * two gateways trimming at once drop each record once. KEYS: feedback hash, order, used set;
 * ARGV: the bound, the input key prefix. Answers how many were dropped.
 */
const TRIM_FEEDBACK = `
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[1])
if over <= 0 then return 0 end
local ids = redis.call('ZRANGE', KEYS[2], 0, over - 1)
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('DEL', ARGV[2] .. id)
  redis.call('SREM', KEYS[3], id)
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
return over
`;

export class FeedbackStore {
  private readonly candidates: FeedbackCandidates;

  constructor(
    private readonly config: Pick<
      Config,
      'QUEUE_PREFIX' | 'PREDICTION_FEEDBACK_WINDOW_MINUTES' | 'FEEDBACK_MAX_RECORDS'
    >,
    private readonly redis: Redis,
    /** Writes what this gateway's prediction log still holds (see candidate()). */
    private readonly settleLog: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.candidates = new FeedbackCandidates(config.QUEUE_PREFIX, config.PREDICTION_FEEDBACK_WINDOW_MINUTES);
  }

  /**
   * What feedback needs of a prediction. The log is written in batches, so feedback sent right after
   * an answer can arrive before its entry: on a miss, this gateway's queue is written first, then,
   * for a prediction another gateway answered, the entry gets one more flush interval to appear.
   */
  private async candidate(predictionId: string): Promise<FeedbackCandidate | undefined> {
    const found = await this.candidates.get(this.redis, predictionId);
    if (found || predictionIdTime(predictionId) === undefined) return found;
    await this.settleLog();
    const settled = await this.candidates.get(this.redis, predictionId);
    if (settled) return settled;
    await new Promise((resolve) => setTimeout(resolve, 2 * FLUSH_INTERVAL_MS));
    return this.candidates.get(this.redis, predictionId);
  }

  private get prefix(): string {
    return this.config.QUEUE_PREFIX;
  }

  async record(predictionId: string, label: Label): Promise<Feedback> {
    if (this.config.PREDICTION_FEEDBACK_WINDOW_MINUTES === 0) {
      throw new AppError(
        'feedback_disabled',
        'feedback is off on this gateway (PREDICTION_FEEDBACK_WINDOW_MINUTES=0)',
        404,
      );
    }
    const candidate = await this.candidate(predictionId);
    if (!candidate) {
      throw new AppError(
        'unknown_prediction',
        `no prediction ${predictionId} in the last ${this.config.PREDICTION_FEEDBACK_WINDOW_MINUTES} minutes: ` +
          'send the predictionId of a recent /predict answer (predictions left out of the log by sampling cannot get feedback)',
        404,
      );
    }
    const { pixels, modelVersion } = candidate;
    const predicted = candidate.label as Label;
    const feedback: Feedback = {
      predictionId,
      label,
      predicted,
      modelVersion,
      correct: label === predicted,
      receivedAt: new Date().toISOString(),
      imageKept: pixels.length > 0,
    };
    const added = await this.redis.hsetnx(
      RedisKeys.feedback(this.prefix),
      predictionId,
      JSON.stringify(feedback),
    );
    if (added === 0) {
      throw new AppError(
        'duplicate_feedback',
        `prediction ${predictionId} already has feedback; it is given once`,
        409,
      );
    }
    if (feedback.imageKept) await this.redis.set(RedisKeys.feedbackInput(this.prefix, predictionId), pixels);
    await this.redis.zadd(
      RedisKeys.feedbackOrder(this.prefix),
      Date.parse(feedback.receivedAt),
      predictionId,
    );
    await this.trim();
    return feedback;
  }

  /** Drops the oldest records past FEEDBACK_MAX_RECORDS; answers how many went. */
  async trim(): Promise<number> {
    const dropped = await this.redis.eval(
      TRIM_FEEDBACK,
      3,
      RedisKeys.feedback(this.prefix),
      RedisKeys.feedbackOrder(this.prefix),
      RedisKeys.feedbackUsed(this.prefix),
      this.config.FEEDBACK_MAX_RECORDS,
      RedisKeys.feedbackInput(this.prefix, ''),
    );
    return Number(dropped);
  }

  async all(): Promise<Feedback[]> {
    const entries = await this.redis.hvals(RedisKeys.feedback(this.prefix));
    return entries
      .map((entry) => JSON.parse(entry) as Feedback)
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  async list(): Promise<FeedbackList> {
    const [feedback, used] = await Promise.all([
      this.all(),
      this.redis.smembers(RedisKeys.feedbackUsed(this.prefix)),
    ]);
    const usedIds = new Set(used);
    const versions = new Map<string, { count: number; correct: number }>();
    for (const each of feedback) {
      const figures = versions.get(each.modelVersion) ?? { count: 0, correct: 0 };
      figures.count++;
      if (each.correct) figures.correct++;
      versions.set(each.modelVersion, figures);
    }
    return {
      total: feedback.length,
      waiting: feedback.filter((each) => each.imageKept && !usedIds.has(each.predictionId)).length,
      versions: [...versions].map(([modelVersion, { count, correct }]) => ({
        modelVersion,
        count,
        correct,
        accuracy: correct / count,
      })),
      recent: feedback.slice(-RECENT).reverse(),
    };
  }

  /** The labelled inputs not yet retrained on, as a class-folder ZIP, and their ids. */
  async pendingZip(): Promise<{ zip: Buffer; ids: string[] } | undefined> {
    const [feedback, used] = await Promise.all([
      this.all(),
      this.redis.smembers(RedisKeys.feedbackUsed(this.prefix)),
    ]);
    const usedIds = new Set(used);
    const pending = feedback.filter((each) => each.imageKept && !usedIds.has(each.predictionId));
    const images = [];
    for (const each of pending) {
      const rgb = await this.redis.getBuffer(RedisKeys.feedbackInput(this.prefix, each.predictionId));
      if (rgb) images.push({ name: each.predictionId, label: LABELS.indexOf(each.label), rgb });
    }
    if (images.length === 0) return undefined;
    return { zip: await writeClassFolderZip(images), ids: images.map((image) => image.name) };
  }

  async markUsed(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.sadd(RedisKeys.feedbackUsed(this.prefix), ...ids);
  }
}
