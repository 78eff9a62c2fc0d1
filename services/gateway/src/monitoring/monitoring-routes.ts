// GET /monitoring: class distribution, confidence, latency and drift of a model version's live
// predictions over a time window.
import { Router } from 'express';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { modelNotReady } from '../predict/classify-images.js';
import type { Monitoring } from './monitoring.js';
import { monitoringQuerySchema, monitoringReportSchema, windowMs } from './monitoring-schemas.js';

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
];

export function monitoringRoutes(
  monitoring: Monitoring,
  productionVersion: () => string | undefined,
): Router {
  const router = Router();
  router.get('/monitoring', async (req, res) => {
    const query = parseRequest(monitoringQuerySchema, req.query, 'query');
    const version = query.version ?? productionVersion();
    if (!version) throw modelNotReady();
    const to = Date.now();
    const from = query.since ? Date.parse(query.since) : to - windowMs(query.window);
    res.json(await monitoring.report(version, from, to));
  });
  return router;
}
