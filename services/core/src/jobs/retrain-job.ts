// The retrain job as the gateway enqueues it and the trainer reports on it: payload (keys, never
// data), progress and result, with the zod schema both sides validate the payload against.
import { z } from 'zod';
import type { SkippedEntry } from '../dataset/decoded-dataset.js';
import type { EvaluationMetrics } from '../model/model-card.js';
import { MODEL_VERSION_PATTERN } from '../names.js';

export const RETRAIN_EPOCHS = Object.freeze({ default: 3, min: 1, max: 50 });

/** The `epochs` form field: optional, a whole number within RETRAIN_EPOCHS. */
export const epochsFieldSchema = z.coerce
  .number({ error: 'epochs must be a number' })
  .int('epochs must be a whole number')
  .min(RETRAIN_EPOCHS.min, `epochs must be at least ${RETRAIN_EPOCHS.min}`)
  .max(RETRAIN_EPOCHS.max, `epochs must be at most ${RETRAIN_EPOCHS.max}`)
  .default(RETRAIN_EPOCHS.default);

/**
 * How a retrained version that passes the gate reaches production: promoted at once (`gate`), or
 * through a rollout on live traffic (`shadow`, `canary`) whose criteria promote or roll it back.
 */
export const RETRAIN_PROMOTE_MODES = ['gate', 'shadow', 'canary'] as const;
export type RetrainPromoteMode = (typeof RETRAIN_PROMOTE_MODES)[number];

/** The `promote` form field: optional, `gate` by default. */
export const promoteFieldSchema = z
  .enum(RETRAIN_PROMOTE_MODES, { error: 'promote must be gate, shadow or canary' })
  .default('gate');

/** The `rolloutPercent` form field: the rollout's share (canary 10, shadow 100 by default). */
export const rolloutPercentFieldSchema = z.coerce
  .number({ error: 'rolloutPercent must be a number' })
  .min(0, 'rolloutPercent must be at least 0')
  .max(100, 'rolloutPercent must be at most 100')
  .optional();

export const DEFAULT_ROLLOUT_PERCENT: Record<Exclude<RetrainPromoteMode, 'gate'>, number> = {
  canary: 10,
  shadow: 100,
};

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');

export const retrainJobDataSchema = z.object({
  /** S3 key of the uploaded ZIP, `uploads/<sha256>.zip`. */
  uploadKey: z.string().regex(/^uploads\/[0-9a-f]{64}\.zip$/),
  uploadSha256: sha256,
  uploadBytes: z.number().int().nonnegative(),
  /** The client's file name, for people reading the job; never used as a path. */
  fileName: z.string().max(255).optional(),
  epochs: z.number().int().min(RETRAIN_EPOCHS.min).max(RETRAIN_EPOCHS.max),
  requestedAt: z.iso.datetime(),
  requestId: z.string().max(128).optional(),
  /** Absent in jobs queued before rollouts existed: `gate`. */
  promote: z.enum(RETRAIN_PROMOTE_MODES).optional(),
  rolloutPercent: z.number().min(0).max(100).optional(),
  /**
   * Set by the trainer once the job's version is published, so that a retry after that point
   * (a fault while promoting) finishes the promotion instead of publishing a second version.
   */
  publishedVersion: z.string().regex(MODEL_VERSION_PATTERN).optional(),
});
export type RetrainJobData = z.infer<typeof retrainJobDataSchema>;

export const RETRAIN_PHASES = [
  'downloading',
  'validating',
  'decoding',
  'training',
  'evaluating',
  'publishing',
] as const;
export type RetrainPhase = (typeof RETRAIN_PHASES)[number];

export interface RetrainEpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
}

export interface RetrainProgress {
  phase: RetrainPhase;
  /** 1-based epoch and batch while training. */
  epoch?: number;
  epochs: number;
  batch?: number;
  batches?: number;
  /** Running mean training loss and accuracy of the current epoch. */
  loss?: number;
  accuracy?: number;
  history: RetrainEpochSummary[];
  /** Images decoded so far (decoding phase). */
  decoded?: number;
}

export interface RetrainResult {
  version: string;
  parent: string;
  promoted: boolean;
  /** Accuracy of the new version and of production on the same evaluation set. */
  accuracy: number;
  productionAccuracy: number;
  /** Why the version was or was not promoted, in a sentence. */
  reason: string;
  /** The rollout the version entered instead of a direct promotion (promote: shadow or canary). */
  rollout?: { id: string; mode: 'shadow' | 'canary'; percent: number } | null;
  /** Files of the upload that were not used, with why (the first 100; skippedCount has them all). */
  skipped: SkippedEntry[];
  skippedCount: number;
  images: { uploaded: number; replay: number; train: number };
  /** Which evaluation set was used, and a note when a fallback was needed. */
  evaluation: Pick<EvaluationMetrics, 'dataset' | 'n'>;
  notes: string[];
  seconds: { total: number; training: number; evaluation: number };
}

/** The prefix of a failed job's reason when it was cancelled on request. */
export const CANCELLED_REASON = 'cancelled';
