// The retrain job as the gateway enqueues it and the trainer reports on it: payload (keys, never
// data), progress and result, with the zod schema both sides validate the payload against.
import { z } from 'zod';
import { RETRAIN_EPOCHS, RETRAIN_PROMOTE_MODES } from '../contract/jobs.js';
import { MODEL_VERSION_PATTERN } from '../names.js';

/** The `epochs` form field: optional, a whole number within RETRAIN_EPOCHS. */
export const epochsFieldSchema = z.coerce
  .number({ error: 'epochs must be a number' })
  .int('epochs must be a whole number')
  .min(RETRAIN_EPOCHS.min, `epochs must be at least ${RETRAIN_EPOCHS.min}`)
  .max(RETRAIN_EPOCHS.max, `epochs must be at most ${RETRAIN_EPOCHS.max}`)
  .default(RETRAIN_EPOCHS.default);

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
