// GET /metrics: the gateway's metrics in the Prometheus text format.
import { Router } from 'express';
import type { RouteDoc } from '../api/route-docs.js';
import type { GatewayMetrics } from './gateway-metrics.js';

export const metricsRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary:
      'Prometheus metrics: request durations, predictions, batch sizes, model swaps and loads, backend, Node.js',
    responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } },
  },
];

export function metricsRoutes(metrics: GatewayMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
