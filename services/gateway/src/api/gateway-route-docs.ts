// Every route's RouteDocs in the order the OpenAPI document lists them: the one list both the
// running gateway (app.ts) and the in-process document (gatewayOpenApiDocument) use.
import { feedbackRouteDocs } from '../feedback/feedback-routes.js';
import { healthRouteDocs } from '../health-routes.js';
import { exportRouteDocs } from '../models/export-routes.js';
import { importRouteDocs } from '../models/import-routes.js';
import { modelRouteDocs } from '../models/model-routes.js';
import { monitoringRouteDocs } from '../monitoring/monitoring-routes.js';
import { metricsRouteDocs } from '../observability/metrics-routes.js';
import { predictRouteDocs } from '../predict/predict-routes.js';
import { retrainRouteDocs } from '../retrain/retrain-routes.js';
import { rolloutRouteDocs } from '../rollouts/rollout-routes.js';
import { trainerRouteDocs } from '../trainer-routes.js';
import { v2RouteDocs } from '../v2/v2-routes.js';
import type { RouteDoc } from './route-docs.js';

export const gatewayRouteDocs: readonly RouteDoc[] = [
  ...healthRouteDocs,
  ...predictRouteDocs,
  ...monitoringRouteDocs,
  ...importRouteDocs,
  ...modelRouteDocs,
  ...exportRouteDocs,
  ...metricsRouteDocs,
  ...retrainRouteDocs,
  ...feedbackRouteDocs,
  ...trainerRouteDocs,
  ...rolloutRouteDocs,
  ...v2RouteDocs,
];
