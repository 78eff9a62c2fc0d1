// The request and response shapes of /retrain and /jobs, for validation and the OpenAPI document.
import { z } from 'zod';
import {
  DEFAULT_ROLLOUT_PERCENT,
  IMPORT_PHASES,
  IMPORT_PREPROCESSING,
  IMPORT_PROMOTE,
  KERAS_FORMATS,
  RETRAIN_EPOCHS,
  RETRAIN_PHASES,
  RETRAIN_PROMOTE_MODES,
} from '@visionops/core/jobs';

const JOB_PHASES = [...new Set([...RETRAIN_PHASES, ...IMPORT_PHASES])] as [string, ...string[]];

export const retrainFormSchema = z
  .object({
    file: z.string().meta({ format: 'binary', description: 'a ZIP with one folder per CIFAR-10 label' }),
    epochs: z
      .string()
      .optional()
      .meta({
        description: `fine-tuning epochs, ${RETRAIN_EPOCHS.min} to ${RETRAIN_EPOCHS.max} (default ${RETRAIN_EPOCHS.default})`,
      }),
    promote: z
      .enum(RETRAIN_PROMOTE_MODES)
      .optional()
      .meta({
        description:
          'what a version that passes the gate does: `gate` (default) promotes it at once; `shadow` or ' +
          '`canary` start a rollout on live traffic whose criteria promote or roll it back',
      }),
    rolloutPercent: z
      .string()
      .optional()
      .meta({
        description: `the rollout's share, 0 to 100 (canary ${DEFAULT_ROLLOUT_PERCENT.canary}, shadow ${DEFAULT_ROLLOUT_PERCENT.shadow} by default)`,
      }),
  })
  .meta({ id: 'RetrainForm' });

export const retrainAcceptedSchema = z
  .object({
    jobId: z.string(),
    statusUrl: z.string(),
    existing: z
      .boolean()
      .meta({ description: 'the same upload was already queued or running: this is its job' }),
    images: z.number().int().meta({ description: 'files found in class folders' }),
  })
  .meta({ id: 'RetrainAccepted' });

export const jobParamsSchema = z.object({ id: z.string().min(1).max(128) });

export const jobListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const progressSchema = z.object({
  phase: z.enum(JOB_PHASES),
  epoch: z.number().optional(),
  epochs: z.number(),
  batch: z.number().optional(),
  batches: z.number().optional(),
  loss: z.number().optional(),
  accuracy: z.number().optional(),
  history: z.array(
    z.object({ epoch: z.number(), loss: z.number(), accuracy: z.number(), seconds: z.number() }),
  ),
  decoded: z.number().optional().meta({ description: 'images decoded so far (decoding phase)' }),
});

export const jobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['retrain', 'import']),
    state: z.enum(['queued', 'active', 'completed', 'failed', 'cancelled']),
    cancelRequested: z.boolean(),
    epochs: z.number().meta({ description: 'fine-tuning epochs; 0 for an import' }),
    promote: z.enum(RETRAIN_PROMOTE_MODES),
    upload: z.object({ sha256: z.string(), bytes: z.number(), fileName: z.string().nullable() }),
    import: z
      .object({
        format: z.enum(KERAS_FORMATS),
        preprocessing: z.enum(IMPORT_PREPROCESSING),
        promote: z.enum(IMPORT_PROMOTE),
      })
      .nullable(),
    progress: progressSchema.nullable(),
    result: z
      .object({
        version: z.string(),
        promoted: z.boolean(),
        rollout: z
          .object({ id: z.string(), mode: z.enum(['shadow', 'canary']), percent: z.number() })
          .nullable()
          .optional()
          .meta({ description: 'the rollout the version entered instead of a direct promotion' }),
        accuracy: z.number(),
        productionAccuracy: z.number(),
        reason: z.string(),
        skipped: z.array(z.object({ name: z.string(), reason: z.string(), detail: z.string().optional() })),
      })
      .loose()
      .nullable(),
    failedReason: z.string().nullable(),
    attempts: z.object({ made: z.number(), max: z.number() }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    statusUrl: z.string(),
  })
  .meta({ id: 'Job' });

export const jobListSchema = z.object({ jobs: z.array(jobSchema) }).meta({ id: 'JobList' });
