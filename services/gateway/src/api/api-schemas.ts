// The zod schemas of the HTTP API: route handlers validate requests with them, and the OpenAPI
// document is generated from them, so the two cannot drift apart.
import { z } from 'zod';
import { LABELS } from '@visionops/core';
import { modelCardSchema, modelVersionSchema, productionAliasSchema } from '@visionops/core/contract';

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

export const modelListSchema = z.object({
  production: productionAliasSchema.nullable(),
  serving: modelVersionSchema.nullable().meta({ description: 'the version this gateway has loaded' }),
  versions: z.array(modelCardSchema.extend({ inProduction: z.boolean() })),
});

export const modelDetailSchema = modelCardSchema.extend({ inProduction: z.boolean() });

export const promoteResponseSchema = z.object({ production: productionAliasSchema });
