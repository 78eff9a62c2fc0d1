// The request and response shapes of /rollouts, for validation and the OpenAPI document. Requests
// use the registry's own schema (with its defaults); responses describe what the registry stores.
import { z } from 'zod';
import {
  ROLLOUT_MODES,
  ROLLOUT_OUTCOMES,
  rolloutCriteriaSchema,
  rolloutRequestSchema,
} from '@visionops/core/registry';
import { modelVersionSchema } from '@visionops/core/contract';

export const rolloutStartBodySchema = rolloutRequestSchema
  .extend({
    percent: rolloutRequestSchema.shape.percent.meta({
      description:
        'canary: share of clients (0-100) answered by the candidate; shadow: share of requests it also scores',
      example: 20,
    }),
    criteria: rolloutCriteriaSchema
      .partial()
      .strict()
      .optional()
      .meta({ description: 'bounds for automatic rollback and the request count for automatic promotion' }),
  })
  .strict()
  .meta({ id: 'RolloutStart' });

export const rolloutDecisionBodySchema = z
  .object({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'why (kept in the history)', example: 'looks good on the dashboard' }),
  })
  .strict();

export const rolloutHistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const criteriaView = z
  .object({
    minRequests: z.number().int(),
    autoPromote: z.boolean(),
    maxErrorRate: z.number(),
    maxP99Ms: z.number(),
    minAgreement: z.number().nullable(),
    minSamples: z.number().int(),
  })
  .meta({ id: 'RolloutCriteria' });

export const rolloutViewSchema = z
  .object({
    id: z.string(),
    candidate: modelVersionSchema,
    baseline: modelVersionSchema.meta({ description: 'production when the rollout started' }),
    mode: z.enum(ROLLOUT_MODES),
    percent: z.number(),
    mirrorPercent: z.number(),
    criteria: criteriaView,
    startedAt: z.string(),
    startReason: z.string(),
  })
  .meta({ id: 'Rollout' });

const versionStatsView = z
  .object({
    version: z.string(),
    requests: z.number().int(),
    errors: z.number().int(),
    errorRate: z.number(),
    dropped: z.number().int().meta({ description: 'samples not scored: the background queue was full' }),
    skipped: z.number().int().meta({
      description: 'shadow samples not scored: production was busy (ROLLOUT_SHADOW_ONLY_WHEN_IDLE)',
    }),
    p50Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    meanConfidence: z.number().nullable(),
    compared: z.number().int().meta({ description: 'images labelled by both versions' }),
    agreement: z.number().nullable().meta({ description: 'share of compared images with the same label' }),
  })
  .meta({ id: 'VersionStats', description: 'live figures summed over every gateway' });

const rolloutStatsView = z
  .object({ production: versionStatsView, candidate: versionStatsView })
  .meta({ id: 'RolloutStats' });

export const currentRolloutSchema = z
  .object({
    rollout: rolloutViewSchema.nullable(),
    stats: rolloutStatsView.nullable(),
    verdict: z
      .object({ action: z.enum(['continue', 'promote', 'rollback']), reason: z.string() })
      .nullable()
      .meta({ description: 'what the criteria say about the figures right now' }),
    active: z
      .boolean()
      .meta({ description: 'this gateway splits traffic for it (candidate loaded and warm)' }),
    problem: z
      .string()
      .nullable()
      .meta({ description: 'why this gateway does not follow the rollout, if it does not' }),
  })
  .meta({ id: 'CurrentRollout' });

export const rolloutRecordSchema = rolloutViewSchema
  .extend({
    endedAt: z.string(),
    outcome: z.enum(ROLLOUT_OUTCOMES),
    reason: z.string(),
    decidedBy: z.enum(['criteria', 'admin']),
    stats: rolloutStatsView.nullable(),
  })
  .meta({ id: 'RolloutRecord' });

export const rolloutStartedSchema = z.object({ rollout: rolloutViewSchema });
export const rolloutEndedSchema = z.object({ rollout: rolloutRecordSchema });
export const rolloutHistorySchema = z
  .object({ rollouts: z.array(rolloutRecordSchema) })
  .meta({ id: 'RolloutHistory' });
