// Shapes every answer of the API may carry: a model version and the error body.
import { z } from 'zod';
import { MODEL_VERSION_PATTERN } from '../names.js';

export const modelVersionSchema = z
  .string()
  .regex(MODEL_VERSION_PATTERN, 'model versions look like v1, v2, ...')
  .meta({ example: 'v3' });

/** Every 4xx and 5xx answer of the gateway and the trainer's health server. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'model_not_ready' }),
      message: z.string(),
      requestId: z.string().optional().meta({ description: 'present on 5xx errors: quote it' }),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorBodySchema>;
