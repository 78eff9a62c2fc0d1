// GET /monitoring: class distribution, confidence, latency and drift of a model version's live
// predictions over a time window; GET /monitoring/history: drift per time bucket of a window.
import { Router } from 'express';
import { PIXELS_PER_IMAGE } from '@visionops/core';
import { pixelsToPng } from '@visionops/core/dataset';
import { requireAdmin } from '../admin-auth.js';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { AppError } from '../app-error.js';
import { modelNotReady } from '../predict/classify-images.js';
import type { Monitoring } from './monitoring.js';
import { MAX_HISTORY_BUCKETS } from './drift-history.js';
import {
  driftHistorySchema,
  monitoringHistoryQuerySchema,
  monitoringQuerySchema,
  monitoringReportSchema,
  predictionInputParamsSchema,
  windowMs,
} from './monitoring-schemas.js';

export const monitoringRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/monitoring',
    tag: 'monitoring',
    summary:
      'Live figures of a model version over a time window, from the prediction log: predicted class ' +
      'distribution against its reference, confidence histogram, low-confidence rate, latency ' +
      'percentiles, and drift (population stability index per signal, the alert and the signals that fired).',
    query: monitoringQuerySchema,
    responses: {
      200: { description: 'the report', schema: monitoringReportSchema },
      400: { description: 'a bad version, window or since' },
      503: { description: 'no version given and no model in service yet (model_not_ready)' },
    },
  },
  {
    method: 'get',
    path: '/monitoring/history',
    tag: 'monitoring',
    summary:
      'Drift over time: the window cut into buckets of `step`, each with its predictions, the PSI of every ' +
      `signal against the version's reference and the alert state (at most ${MAX_HISTORY_BUCKETS} buckets), ` +
      'from the shared prediction log, so every gateway answers the same',
    query: monitoringHistoryQuerySchema,
    responses: {
      200: { description: 'the buckets, oldest first', schema: driftHistorySchema },
      400: { description: `a bad version, window or step, or more than ${MAX_HISTORY_BUCKETS} buckets` },
      503: { description: 'no version given and no model in service yet (model_not_ready)' },
    },
  },
  {
    method: 'get',
    path: '/monitoring/predictions/:predictionId/input.png',
    tag: 'monitoring',
    admin: true,
    summary:
      "A logged prediction's 32x32 input as a PNG (the image as the model saw it), while one is kept: for " +
      'PREDICTION_LOG_RETENTION_HOURS with PREDICTION_STORE_IMAGES=true, otherwise only for the feedback ' +
      'window, or for good once labelled (GET /monitoring gives each low-confidence prediction its thumbnailUrl)',
    params: predictionInputParamsSchema,
    responses: {
      200: { description: 'the PNG', contentType: 'image/png' },
      400: { description: 'not a predictionId' },
      404: { description: 'no input is kept for this prediction (input_not_kept)' },
    },
  },
];

export function monitoringRoutes(
  monitoring: Monitoring,
  productionVersion: () => string | undefined,
  adminToken: string | undefined,
): Router {
  const router = Router();
  router.get(
    '/monitoring/predictions/:predictionId/input.png',
    requireAdmin(adminToken),
    async (req, res) => {
      const { predictionId } = parseRequest(predictionInputParamsSchema, req.params, 'path');
      const pixels = await monitoring.inputs.get(predictionId);
      if (!pixels || pixels.length !== PIXELS_PER_IMAGE) {
        throw new AppError(
          'input_not_kept',
          `no input is kept for prediction ${predictionId}: ${monitoring.inputs.policy}`,
          404,
        );
      }
      // Someone's image: neither shared caches nor the browser keep it beyond this answer.
      res.setHeader('cache-control', 'private, no-store');
      res.type('image/png').send(await pixelsToPng(pixels));
    },
  );
  router.get('/monitoring', async (req, res) => {
    const query = parseRequest(monitoringQuerySchema, req.query, 'query');
    const version = query.version ?? productionVersion();
    if (!version) throw modelNotReady();
    const to = Date.now();
    const from = query.since ? Date.parse(query.since) : to - windowMs(query.window);
    res.json(await monitoring.report(version, from, to));
  });
  router.get('/monitoring/history', async (req, res) => {
    const query = parseRequest(monitoringHistoryQuerySchema, req.query, 'query');
    const span = windowMs(query.window);
    const stepMs = query.step ? windowMs(query.step) : Math.max(1000, Math.ceil(span / 20 / 1000) * 1000);
    if (Math.ceil(span / stepMs) > MAX_HISTORY_BUCKETS) {
      throw new AppError(
        'too_many_buckets',
        `window ${query.window} in steps of ${query.step} makes ${Math.ceil(span / stepMs)} buckets; ` +
          `at most ${MAX_HISTORY_BUCKETS}: use a longer step or a shorter window`,
        400,
      );
    }
    const version = query.version ?? productionVersion();
    if (!version) throw modelNotReady();
    const to = Date.now();
    res.json(await monitoring.history(version, to - span, to, stepMs));
  });
  return router;
}
