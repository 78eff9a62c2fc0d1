// The model registry as the API shows it: the production alias and the model cards.
import { z } from 'zod';
import { modelVersionSchema } from './common.js';
import { KERAS_FORMATS } from './jobs.js';

export const productionAliasSchema = z
  .object({ version: modelVersionSchema, promotedAt: z.iso.datetime(), reason: z.string() })
  .meta({ id: 'ProductionAlias' });
export type ProductionAliasView = z.infer<typeof productionAliasSchema>;

/** The card as the API answers it: the fields clients rely on, the rest passed through as published. */
export const modelCardSchema = z
  .looseObject({
    version: modelVersionSchema,
    parent: z.string().nullable(),
    createdAt: z.string(),
    labels: z.array(z.string()),
    architecture: z.looseObject({
      name: z.string().meta({ description: '`resnet9` (trained by visionops) or `keras` (imported)' }),
      width: z.number().optional(),
      testTimeAugmentation: z.enum(['none', 'flip']).optional().meta({
        description:
          '`flip`: each answer averages the probabilities for the image and its mirror image (absent: `none`)',
      }),
      parameters: z.number(),
    }),
    origin: z
      .looseObject({
        format: z.enum(KERAS_FORMATS),
        kerasVersion: z.string().nullable(),
        sha256: z.string(),
        output: z.enum(['softmax', 'logits']),
      })
      .optional()
      .meta({ description: 'where an imported version came from; absent for versions visionops trained' }),
    normalisation: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }),
    metrics: z
      .looseObject({
        accuracy: z.number(),
        perClass: z.record(z.string(), z.number()).optional(),
        confusion: z
          .array(z.array(z.number()))
          .optional()
          .meta({ description: 'confusion[actual][predicted]' }),
        n: z.number().optional(),
        dataset: z.string().optional(),
      })
      .nullable(),
    sizeBytes: z.number(),
  })
  .meta({
    id: 'ModelCard',
    description: 'metrics, per-class accuracy, confusion matrix, parent, data, parameters',
  });
export type ModelCardView = z.infer<typeof modelCardSchema>;
