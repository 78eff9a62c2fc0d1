// The 32x32 input of a logged prediction, where one is still kept: for the log's retention time
// with PREDICTION_STORE_IMAGES, for the feedback window otherwise (the privacy default), and for
// good once a user labelled it. Nothing else is kept, so most predictions have no thumbnail.
import type { Redis } from 'ioredis';
import { RedisKeys, type Config } from '@visionops/core';
import { FeedbackCandidates } from './feedback-candidates.js';

export type InputsConfig = Pick<
  Config,
  | 'QUEUE_PREFIX'
  | 'PREDICTION_STORE_IMAGES'
  | 'PREDICTION_FEEDBACK_WINDOW_MINUTES'
  | 'PREDICTION_LOG_RETENTION_HOURS'
>;

export class PredictionInputs {
  private readonly candidates: FeedbackCandidates;

  constructor(
    private readonly config: InputsConfig,
    private readonly redis: Redis,
  ) {
    this.candidates = new FeedbackCandidates(config.QUEUE_PREFIX, config.PREDICTION_FEEDBACK_WINDOW_MINUTES);
  }

  private get prefix(): string {
    return this.config.QUEUE_PREFIX;
  }

  /** The input's pixels (HWC uint8), or undefined when none is kept. */
  async get(predictionId: string): Promise<Buffer | undefined> {
    const [stored, labelled, candidate] = await Promise.all([
      this.redis.getBuffer(RedisKeys.predictionInput(this.prefix, predictionId)),
      this.redis.getBuffer(RedisKeys.feedbackInput(this.prefix, predictionId)),
      this.candidates.get(this.redis, predictionId),
    ]);
    const pixels = stored ?? labelled ?? candidate?.pixels;
    return pixels && pixels.length > 0 ? pixels : undefined;
  }

  /** Which of the predictions still have their input kept. */
  async kept(predictionIds: readonly string[]): Promise<Set<string>> {
    if (predictionIds.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of predictionIds) {
      pipeline.exists(RedisKeys.predictionInput(this.prefix, id), RedisKeys.feedbackInput(this.prefix, id));
      this.candidates.exists(pipeline, id);
    }
    const results = (await pipeline.exec()) ?? [];
    const found = (i: number) => Number(results[i]?.[1] ?? 0) > 0;
    return new Set(predictionIds.filter((_, i) => found(2 * i) || found(2 * i + 1)));
  }

  /** What is kept, and so which predictions can have a thumbnail. */
  get policy(): string {
    const { PREDICTION_STORE_IMAGES, PREDICTION_FEEDBACK_WINDOW_MINUTES, PREDICTION_LOG_RETENTION_HOURS } =
      this.config;
    if (PREDICTION_STORE_IMAGES) {
      return `inputs are kept for ${PREDICTION_LOG_RETENTION_HOURS} h (PREDICTION_STORE_IMAGES=true)`;
    }
    if (PREDICTION_FEEDBACK_WINDOW_MINUTES > 0) {
      return (
        `inputs are not stored (PREDICTION_STORE_IMAGES=false, the privacy default): each is kept only for ` +
        `the ${PREDICTION_FEEDBACK_WINDOW_MINUTES}-minute feedback window, or for good once labelled`
      );
    }
    return 'inputs are not stored (PREDICTION_STORE_IMAGES=false, the privacy default, and feedback is off)';
  }
}
