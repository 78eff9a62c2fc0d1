// One entry of the prediction log, as written to the Redis stream (field `d`, JSON) and read back.
import { z } from 'zod';
import { LABELS } from '@visionops/core';

export const predictionRecordSchema = z.object({
  /** predictionId, as answered to the client. */
  id: z.string(),
  /** When the answer was sent, ms since the epoch. */
  t: z.number(),
  /** Model version that answered. */
  v: z.string(),
  /** The three most probable classes with their probabilities, most probable first. */
  top: z.array(z.tuple([z.enum(LABELS), z.number()])).min(1),
  /** Latency of the request (decode and inference), ms. */
  ms: z.number(),
  /** Per-channel mean and standard deviation of the 32x32 input, in [0, 1]. */
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number(), z.number(), z.number()]),
  /** Format and size of the image as sent, before resizing (absent when not an encoded image). */
  fmt: z.string().optional(),
  w: z.number().optional(),
  h: z.number().optional(),
  /** Whether the 32x32 input was kept (PREDICTION_STORE_IMAGES). */
  img: z.boolean().optional(),
  /** Answered with an explanation: its latency includes the saliency map, so latency figures leave it out. */
  ex: z.boolean().optional(),
});

export type PredictionRecord = z.infer<typeof predictionRecordSchema>;
