// Request and response schemas of GET /monitoring (validation and the OpenAPI document).
import { z } from 'zod';
import { DRIFT_SIGNALS } from '@visionops/core/monitoring';
import { LABELS, MODEL_VERSION_PATTERN } from '@visionops/core';

export const WINDOW_PATTERN = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function windowMs(window: string): number {
  const match = WINDOW_PATTERN.exec(window)!;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

const versionQuery = z
  .string()
  .regex(MODEL_VERSION_PATTERN, 'a model version id such as v3')
  .optional()
  .meta({ description: 'model version (default: the one in production)' });

const windowQuery = z
  .string()
  .regex(WINDOW_PATTERN, 'a duration such as 30s, 15m, 1h or 7d')
  .default('1h')
  .meta({ description: 'how far back from now (default 1h)' });

export const monitoringQuerySchema = z.object({
  version: versionQuery,
  window: windowQuery,
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'start of the window as an ISO time; overrides `window`' }),
});

export const monitoringHistoryQuerySchema = z.object({
  version: versionQuery,
  window: windowQuery,
  step: z
    .string()
    .regex(WINDOW_PATTERN, 'a duration such as 30s, 1m or 5m')
    .optional()
    .meta({ description: 'length of one bucket (default: the window in 20 buckets)' }),
});

const signalScoreSchema = z.object({
  signal: z.enum(DRIFT_SIGNALS),
  psi: z.number(),
  threshold: z.number(),
  fired: z.boolean(),
});

/** What drift scores rest on: the reference (or why there is none) and the thresholds. */
const driftBasisSchema = z.object({
  reference: z.object({ source: z.string(), n: z.number().int(), createdAt: z.string() }).nullable(),
  unavailable: z.string().optional().meta({ description: 'why there are no drift scores' }),
  minPredictions: z.number().int(),
  warnThreshold: z.number(),
  alertThreshold: z.number(),
});

export const monitoringReportSchema = z
  .object({
    version: z.string(),
    window: z.object({ from: z.string(), to: z.string() }),
    predictions: z.number().int(),
    classes: z.array(
      z.object({
        label: z.enum(LABELS),
        count: z.number().int(),
        share: z.number(),
        referenceShare: z.number().nullable(),
      }),
    ),
    confidenceHistogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
    lowConfidence: z.object({ threshold: z.number(), count: z.number().int(), rate: z.number() }),
    latencyMs: z.object({ p50: z.number(), p95: z.number(), p99: z.number() }).nullable(),
    drift: driftBasisSchema.extend({
      enough: z.boolean().optional().meta({ description: 'false below minPredictions: no alert then' }),
      alert: z.boolean().optional(),
      fired: z.array(z.enum(DRIFT_SIGNALS)).optional(),
      signals: z.array(signalScoreSchema).optional(),
    }),
    recentLowConfidence: z.array(
      z.object({
        predictionId: z.string(),
        time: z.string(),
        label: z.enum(LABELS),
        confidence: z.number(),
        stored: z.boolean().meta({ description: 'kept under PREDICTION_STORE_IMAGES' }),
        thumbnailUrl: z
          .string()
          .nullable()
          .meta({ description: 'where its 32x32 input is served while one is kept; null otherwise' }),
      }),
    ),
    thumbnailPolicy: z.string().meta({ description: 'which inputs are kept, so which have a thumbnail' }),
  })
  .meta({ id: 'MonitoringReport' });

export type MonitoringReport = z.infer<typeof monitoringReportSchema>;

export const driftHistorySchema = z
  .object({
    version: z.string(),
    window: z.object({ from: z.string(), to: z.string() }),
    stepSeconds: z.number(),
    drift: driftBasisSchema,
    buckets: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        predictions: z.number().int(),
        enough: z.boolean().meta({ description: 'false below minPredictions: no alert then' }),
        alert: z.boolean(),
        fired: z.array(z.enum(DRIFT_SIGNALS)),
        scores: z
          .partialRecord(z.enum(DRIFT_SIGNALS), z.number())
          .nullable()
          .meta({ description: 'PSI per signal; null for an empty bucket or without a reference' }),
      }),
    ),
  })
  .meta({ id: 'DriftHistory' });

export type DriftHistory = z.infer<typeof driftHistorySchema>;

export const predictionInputParamsSchema = z.object({
  predictionId: z.uuid().meta({ description: 'the predictionId of a logged prediction' }),
});

export const thumbnailPath = (predictionId: string) => `/monitoring/predictions/${predictionId}/input.png`;
