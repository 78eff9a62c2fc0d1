// What feedback on a logged prediction needs for a short while: the version that answered, its
// label and the 32x32 input. Written in bulk by the prediction log: a predictionId carries its time
// (a version-7 UUID), so candidates go into one hash per minute, set with one HSET per flush and
// dropped whole once the feedback window has passed; feedback finds a candidate's hash from its id.
import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { RedisKeys } from '@visionops/core';

const BUCKET_MS = 60_000;

/** A new predictionId: a version-7 UUID (its first 48 bits are the time in ms, RFC 9562). */
export function newPredictionId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}

/** The time a predictionId was issued, or undefined for an id this gateway cannot have issued. */
export function predictionIdTime(predictionId: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(predictionId)) {
    return undefined;
  }
  return parseInt(predictionId.slice(0, 8) + predictionId.slice(9, 13), 16);
}

export interface FeedbackCandidate {
  modelVersion: string;
  label: string;
  /** The input (HWC uint8), empty when it was not kept. */
  pixels: Buffer;
}

/** version \n label \n pixels: one value per candidate. */
function pack(candidate: FeedbackCandidate): Buffer {
  return Buffer.concat([Buffer.from(`${candidate.modelVersion}\n${candidate.label}\n`), candidate.pixels]);
}

function unpack(value: Buffer): FeedbackCandidate | undefined {
  const first = value.indexOf(0x0a);
  const second = first < 0 ? -1 : value.indexOf(0x0a, first + 1);
  if (second < 0) return undefined;
  return {
    modelVersion: value.subarray(0, first).toString(),
    label: value.subarray(first + 1, second).toString(),
    pixels: value.subarray(second + 1),
  };
}

export class FeedbackCandidates {
  constructor(
    private readonly queuePrefix: string,
    private readonly windowMinutes: number,
  ) {}

  /** Whether candidates are kept at all (PREDICTION_FEEDBACK_WINDOW_MINUTES > 0). */
  get enabled(): boolean {
    return this.windowMinutes > 0;
  }

  private bucketKey(time: number): string {
    return RedisKeys.feedbackCandidates(this.queuePrefix, Math.floor(time / BUCKET_MS));
  }

  /** Queues the candidates on a pipeline: one HSET and one PEXPIREAT per minute they fall in. */
  add(pipeline: ChainableCommander, candidates: ReadonlyMap<string, FeedbackCandidate>): void {
    if (!this.enabled) return;
    const buckets = new Map<number, (string | Buffer)[]>();
    for (const [id, candidate] of candidates) {
      const time = predictionIdTime(id);
      if (time === undefined) continue;
      const bucket = Math.floor(time / BUCKET_MS);
      const fields = buckets.get(bucket) ?? [];
      fields.push(id, pack(candidate));
      buckets.set(bucket, fields);
    }
    for (const [bucket, fields] of buckets) {
      const key = this.bucketKey(bucket * BUCKET_MS);
      pipeline.hset(key, ...fields);
      // The whole minute stays until the window of its last possible candidate has passed.
      pipeline.pexpireat(key, (bucket + 1) * BUCKET_MS + this.windowMinutes * 60_000);
    }
  }

  /** The candidate of a prediction, while its feedback window lasts. */
  async get(redis: Redis, predictionId: string): Promise<FeedbackCandidate | undefined> {
    const time = predictionIdTime(predictionId);
    if (time === undefined || Date.now() - time > this.windowMinutes * 60_000) return undefined;
    const value = await redis.hgetBuffer(this.bucketKey(time), predictionId);
    return value ? unpack(value) : undefined;
  }

  /** Queues on a pipeline whether each prediction has a candidate (HEXISTS, 0 for an id of no minute). */
  exists(pipeline: ChainableCommander, predictionId: string): void {
    const time = predictionIdTime(predictionId);
    pipeline.hexists(this.bucketKey(time ?? 0), predictionId);
  }
}
