// The zod schemas of the HTTP API: route handlers validate requests with them, and the OpenAPI
// document is generated from them, so the two cannot drift apart.
import { z } from 'zod';
import { LABELS, SALIENCY_METHODS } from '@visionops/core';
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

export const explanationSchema = z
  .object({
    method: z.enum(SALIENCY_METHODS).meta({
      description:
        "EXPLAIN_METHOD. `integrated-gradients`: each pixel's share of the class logit, measured along " +
        'the path from the mean colour to the image (EXPLAIN_SAMPLES steps); `smoothgrad`: ' +
        '|gradient of the class logit| averaged over EXPLAIN_SAMPLES noisy copies of the image',
    }),
    class: z.enum(LABELS).meta({ description: 'the class explained: the predicted label' }),
    width: z.literal(32),
    height: z.literal(32),
    png: z
      .string()
      .startsWith('data:image/png;base64,')
      .meta({
        description:
          'the map as a 32x32 RGBA PNG over the 32x32 input the model saw (the image resized to cover, ' +
          'centred): alpha is the saliency scaled to its 99th percentile (0-255), and the colour rises ' +
          'with it from dark purple to pale yellow',
      }),
  })
  .meta({ id: 'Explanation' });

const explanationField = explanationSchema
  .optional()
  .meta({ description: 'with `explain=true` only: where the model looked for the predicted class' });

export const predictQuerySchema = z.object({
  explain: z
    .enum(['true', 'false'], { error: 'explain must be true or false' })
    .default('false')
    .meta({
      description:
        '`true`: also return a saliency map of the predicted class for each image (up to ' +
        'EXPLAIN_MAX_IMAGES images; answered by the production model on a thread of its own, 429 ' +
        '`explainer_busy` while it has EXPLAIN_MAX_PENDING requests)',
    }),
});

export const predictionSchema = z
  .object({
    label: z.enum(LABELS),
    confidence: z.number().min(0).max(1),
    probabilities: probabilitiesSchema,
    modelVersion: modelVersionSchema,
    predictionId: z.uuid(),
    explanation: explanationField,
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
        explanation: explanationField,
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
