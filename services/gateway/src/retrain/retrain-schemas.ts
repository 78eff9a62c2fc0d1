// The request shapes of /retrain and /jobs, for validation and the OpenAPI document; the job it
// answers with is the contract's (`jobViewSchema` in @visionops/core/contract).
import { z } from 'zod';
import { DEFAULT_ROLLOUT_PERCENT, RETRAIN_EPOCHS, RETRAIN_PROMOTE_MODES } from '@visionops/core/contract';

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
