// The zod schemas of the HTTP API: route handlers validate requests with them, and the OpenAPI
// document is generated from them, so the two cannot drift apart.
import { z } from 'zod';
import { LABELS, MODEL_VERSION_PATTERN } from '@visionops/core';

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'model_not_ready' }),
      message: z.string(),
      requestId: z.string().optional().meta({ description: 'present on 5xx errors: quote it' }),
    }),
  })
  .meta({ id: 'Error' });

export const modelVersionSchema = z
  .string()
  .regex(MODEL_VERSION_PATTERN, 'model versions look like v1, v2, ...')
  .meta({ example: 'v3' });

export const versionParamsSchema = z.object({ version: modelVersionSchema });

export const promoteBodySchema = z
  .object({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'why (kept in the production alias)', example: 'rollback after a bad release' }),
  })
  .strict();

export const probabilitiesSchema = z
  .record(z.enum(LABELS), z.number().min(0).max(1))
  .meta({ description: 'probability of every class' });

export const predictionSchema = z
  .object({
    label: z.enum(LABELS),
    confidence: z.number().min(0).max(1),
    probabilities: probabilitiesSchema,
    modelVersion: modelVersionSchema,
    predictionId: z.uuid(),
  })
  .meta({ id: 'Prediction' });

export const batchPredictionSchema = z
  .object({
    results: z.array(
      z.object({
        filename: z.string(),
        label: z.enum(LABELS),
        confidence: z.number().min(0).max(1),
        probabilities: probabilitiesSchema,
        predictionId: z.uuid(),
      }),
    ),
    modelVersion: modelVersionSchema,
  })
  .meta({ id: 'BatchPrediction' });

const binary = z.string().meta({ format: 'binary' });

/** The multipart form of POST /predict (multer enforces the field names, counts and sizes). */
export const predictFormSchema = z
  .object({
    file: binary.optional().meta({ description: 'one image (JPEG, PNG, WebP or GIF)' }),
    files: z.array(binary).optional().meta({ description: 'several images, answered in order' }),
  })
  .meta({ description: 'send either `file` or `files`' });

export const productionAliasSchema = z
  .object({ version: modelVersionSchema, promotedAt: z.iso.datetime(), reason: z.string() })
  .meta({ id: 'ProductionAlias' });

export const modelCardSchema = z
  .looseObject({
    version: modelVersionSchema,
    parent: z.string().nullable(),
    createdAt: z.string(),
    labels: z.array(z.string()),
    architecture: z.looseObject({
      name: z.string().meta({ description: '`resnet9` (trained by visionops) or `keras` (imported)' }),
      width: z.number().optional(),
      parameters: z.number(),
    }),
    origin: z
      .looseObject({
        format: z.enum(['keras-h5', 'keras-v3']),
        kerasVersion: z.string().nullable(),
        sha256: z.string(),
        output: z.enum(['softmax', 'logits']),
      })
      .optional()
      .meta({ description: 'where an imported version came from; absent for versions visionops trained' }),
    normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
    metrics: z.looseObject({ accuracy: z.number() }).nullable(),
    sizeBytes: z.number(),
  })
  .meta({
    id: 'ModelCard',
    description: 'metrics, per-class accuracy, confusion matrix, parent, data, parameters',
  });

export const modelListSchema = z.object({
  production: productionAliasSchema.nullable(),
  serving: modelVersionSchema.nullable().meta({ description: 'the version this gateway has loaded' }),
  versions: z.array(modelCardSchema.extend({ inProduction: z.boolean() })),
});

export const modelDetailSchema = modelCardSchema.extend({ inProduction: z.boolean() });

export const promoteResponseSchema = z.object({ production: productionAliasSchema });

export const healthSchema = z.object({ status: z.literal('ok') });

export const readySchema = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  modelVersion: modelVersionSchema.nullable(),
  backend: z.string().nullable(),
  /** Engines passed over at start-up (e.g. tfjs-node not installed, oneDNN addon not built) and why. */
  backendSkipped: z.array(z.object({ backend: z.string(), reason: z.string() })),
  checks: z.object({
    model: z.enum(['ok', 'failed']),
    redis: z.enum(['ok', 'failed']),
    s3: z.enum(['ok', 'failed']),
    backend: z.enum(['ok', 'failed']),
  }),
  reasons: z.array(z.string()),
});
