// Request and response schemas of the feedback routes (validation and the OpenAPI document).
import { z } from 'zod';
import { LABELS } from '@visionops/core';

export const feedbackBodySchema = z
  .object({
    predictionId: z.uuid().meta({ description: 'the predictionId of a /predict answer' }),
    label: z.enum(LABELS).meta({ description: 'the true class of the image' }),
  })
  .meta({ id: 'FeedbackRequest' });

export const feedbackSchema = z
  .object({
    predictionId: z.string(),
    label: z.enum(LABELS),
    predicted: z.enum(LABELS),
    modelVersion: z.string(),
    correct: z.boolean(),
    receivedAt: z.string(),
    imageKept: z.boolean().meta({ description: 'whether the input was kept, so it can be retrained on' }),
  })
  .meta({ id: 'Feedback' });

export const feedbackListSchema = z
  .object({
    total: z.number().int(),
    /** Labelled inputs kept and not yet sent to a retrain job. */
    waiting: z.number().int(),
    versions: z.array(
      z.object({
        modelVersion: z.string(),
        count: z.number().int(),
        correct: z.number().int(),
        accuracy: z.number().meta({ description: 'live accuracy: share of its feedback it predicted right' }),
      }),
    ),
    recent: z.array(feedbackSchema),
  })
  .meta({ id: 'FeedbackList' });

export const fromFeedbackBodySchema = z.object({
  epochs: z.number().int().min(1).max(50).default(3),
});

export const fromFeedbackResponseSchema = z
  .object({
    jobId: z.string(),
    statusUrl: z.string(),
    existing: z.boolean(),
    images: z.number().int(),
    sha256: z.string(),
  })
  .meta({ id: 'RetrainFromFeedback' });

export type Feedback = z.infer<typeof feedbackSchema>;
export type FeedbackList = z.infer<typeof feedbackListSchema>;
