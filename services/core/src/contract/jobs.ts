// The job as every process sees it: the options a job takes, the progress a trainer reports, the
// result it returns, and the view GET /jobs answers with. Types come from these schemas (z.infer),
// so the trainer that writes a job and the gateway, dashboard, CLI and tests that read it share one
// definition. Pure data: no Node.js module, so the dashboard can import it too.
import { z } from 'zod';
import { JobName } from '../names.js';
import {
  API_JOB_STATES,
  IMPORT_PREPROCESSING,
  IMPORT_PROMOTE,
  JOB_PHASES,
  KERAS_FORMATS,
  RETRAIN_PROMOTE_MODES,
  type RetrainPhase,
} from './job-constants.js';

export * from './job-constants.js';

export const epochSummarySchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  accuracy: z.number(),
  seconds: z.number(),
});
export type RetrainEpochSummary = z.infer<typeof epochSummarySchema>;

/** What a trainer reports while it runs a job. An import reports only `phase`. */
export const jobProgressSchema = z.object({
  phase: z.enum(JOB_PHASES),
  epoch: z.number().optional().meta({ description: '1-based epoch while training' }),
  epochs: z.number(),
  batch: z.number().optional().meta({ description: '1-based batch while training' }),
  batches: z.number().optional(),
  loss: z.number().optional().meta({ description: 'running mean training loss of the epoch' }),
  accuracy: z.number().optional().meta({ description: 'running mean training accuracy of the epoch' }),
  history: z.array(epochSummarySchema),
  decoded: z.number().optional().meta({ description: 'images decoded so far (decoding phase)' }),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;
export type RetrainProgress = JobProgress & { phase: RetrainPhase };

export const skippedEntrySchema = z.object({
  name: z.string().meta({ description: "the entry's path inside the archive" }),
  reason: z.enum(['unknown_class', 'not_in_class_folder', 'undecodable']),
  detail: z.string().optional(),
});

const evaluationSetSchema = z.object({
  dataset: z.string().meta({ description: 'the evaluation set used' }),
  n: z.number().meta({ description: 'images in it' }),
});

/** The result fields every job kind shares. */
const publishedVersionSchema = z.object({
  version: z.string(),
  /** Production when the job ran: what the gate compared with. */
  parent: z.string(),
  promoted: z.boolean(),
  accuracy: z.number().meta({ description: 'accuracy of the new version on the evaluation set' }),
  productionAccuracy: z.number().meta({ description: "production's accuracy on the same set" }),
  reason: z.string().meta({ description: 'why the version was or was not promoted, in a sentence' }),
  evaluation: evaluationSetSchema,
  notes: z.array(z.string()),
});

export const jobRolloutSchema = z.object({
  id: z.string(),
  mode: z.enum(['shadow', 'canary']),
  percent: z.number(),
});

export const retrainResultSchema = publishedVersionSchema
  .extend({
    rollout: jobRolloutSchema
      .nullable()
      .optional()
      .meta({ description: 'the rollout the version entered instead of a direct promotion' }),
    skipped: z
      .array(skippedEntrySchema)
      .meta({ description: 'files of the upload that were not used, with why (the first 100)' }),
    skippedCount: z.number(),
    images: z.object({ uploaded: z.number(), replay: z.number(), train: z.number() }),
    seconds: z.object({ total: z.number(), training: z.number(), evaluation: z.number() }),
  })
  .meta({ id: 'RetrainResult' });
export type RetrainResult = z.infer<typeof retrainResultSchema>;

export const importOriginSchema = z.object({
  format: z.enum(KERAS_FORMATS),
  kerasVersion: z.string().nullable().meta({ description: 'as the file records it' }),
  backend: z.string().nullable(),
  sha256: z.string(),
  fileName: z.string().nullable(),
  output: z.enum(['softmax', 'logits']).meta({
    description:
      "`softmax`: the file's softmax was dropped so the model emits logits, as every served model does",
  }),
});
export type ImportOrigin = z.infer<typeof importOriginSchema>;

export const importResultSchema = publishedVersionSchema
  .extend({
    origin: importOriginSchema,
    preprocessing: z.enum(IMPORT_PREPROCESSING),
    layers: z.number(),
    parameters: z.number(),
    skipped: z
      .array(skippedEntrySchema)
      .max(0)
      .meta({ description: 'always empty: an import skips no files' }),
    seconds: z.object({ total: z.number(), evaluation: z.number() }),
  })
  .meta({ id: 'ImportResult' });
export type ImportResult = z.infer<typeof importResultSchema>;

export const jobResultSchema = z.union([retrainResultSchema, importResultSchema]);
export type JobResult = z.infer<typeof jobResultSchema>;

/** What GET /jobs and /jobs/:id show of a job. */
export const jobViewSchema = z
  .object({
    id: z.string(),
    kind: z.enum([JobName.Retrain, JobName.Import]),
    state: z.enum(API_JOB_STATES),
    cancelRequested: z
      .boolean()
      .meta({ description: 'a cancel was asked for and the trainer has not stopped yet' }),
    epochs: z.number().meta({ description: 'fine-tuning epochs; 0 for an import' }),
    promote: z.enum(RETRAIN_PROMOTE_MODES).meta({
      description: 'how a version that passes the gate reaches production (a direct promotion, or a rollout)',
    }),
    upload: z.object({ sha256: z.string(), bytes: z.number(), fileName: z.string().nullable() }),
    import: z
      .object({
        format: z.enum(KERAS_FORMATS),
        preprocessing: z.enum(IMPORT_PREPROCESSING),
        promote: z.enum(IMPORT_PROMOTE),
      })
      .nullable()
      .meta({ description: "an import's options; null for a retrain" }),
    progress: jobProgressSchema.nullable(),
    result: jobResultSchema.nullable(),
    failedReason: z.string().nullable(),
    attempts: z.object({ made: z.number(), max: z.number() }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    statusUrl: z.string(),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof jobViewSchema>;

export const jobListSchema = z.object({ jobs: z.array(jobViewSchema) }).meta({ id: 'JobList' });
