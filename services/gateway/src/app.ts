// The gateway's Express application: request context and metrics, the routes, then the 404 and
// error handlers. Every route module declares its RouteDocs for the OpenAPI document.
import express, { type Express } from 'express';
import { gatewayRouteDocs } from './api/gateway-route-docs.js';
import { openApiRoutes } from './api/openapi-routes.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { feedbackRoutes } from './feedback/feedback-routes.js';
import { FeedbackStore } from './feedback/feedback-store.js';
import type { Gateway } from './gateway.js';
import { healthRoutes } from './health-routes.js';
import { exportRoutes } from './models/export-routes.js';
import { importRoutes } from './models/import-routes.js';
import { modelRoutes } from './models/model-routes.js';
import { monitoringRoutes } from './monitoring/monitoring-routes.js';
import { httpMetrics } from './observability/http-metrics.js';
import { metricsRoutes } from './observability/metrics-routes.js';
import { predictRoutes } from './predict/predict-routes.js';
import { requestContext } from './request-context.js';
import { RetrainJobs } from './retrain/retrain-jobs.js';
import { retrainRoutes } from './retrain/retrain-routes.js';
import { rolloutRoutes } from './rollouts/rollout-routes.js';
import { corsAllowList } from './security/cors.js';
import { rateLimit } from './security/rate-limit.js';
import { securityHeaders } from './security/security-headers.js';
import { trainerRoutes } from './trainer-routes.js';
import { v2Routes } from './v2/v2-routes.js';

const API_VERSION = '0.1.0';

export function createApp(gateway: Gateway): Express {
  const { config, logger, pool, metrics, registry, reloader } = gateway;
  const app = express();
  app.disable('x-powered-by');
  // API answers (predictions, status) are not revalidated: hashing every body for an ETag is waste.
  // Static files keep theirs (express.static sets its own).
  app.set('etag', false);
  // Which X-Forwarded-For hops to believe for req.ip (rate limits); none unless configured.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestContext(logger));
  app.use(httpMetrics(metrics));
  app.use(securityHeaders());
  app.use(corsAllowList(config.CORS_ORIGINS));
  // Rate limits come before the body is read, so a refused client costs no upload or decoding;
  // /retrain is counted before the admin check, which also slows down guessing the token.
  const limits = { redis: gateway.redis, queuePrefix: config.QUEUE_PREFIX, logger };
  const predictLimit = rateLimit({
    ...limits,
    name: 'predict',
    points: config.RATE_LIMIT_PREDICT_PER_MINUTE,
    windowSeconds: 60,
  });
  app.post('/predict', predictLimit);
  app.post(
    '/retrain',
    rateLimit({
      ...limits,
      name: 'retrain',
      points: config.RATE_LIMIT_RETRAIN_PER_HOUR,
      windowSeconds: 3600,
    }),
  );
  // The Open Inference Protocol routes read their own bodies (JSON tensors, binary data) under
  // /predict's limits, and count against its rate limit; the V2 infer route applies it itself,
  // so that a refusal has the protocol's error shape.
  app.use(
    v2Routes({
      config,
      pool,
      metrics,
      registry,
      predictRateLimit: predictLimit,
      targetFor: (req) => gateway.rollout.traffic.targetFor(req),
      serverVersion: API_VERSION,
      log: gateway.predictionLog,
    }),
  );
  // JSON bodies here are small commands (no route takes more than a few fields).
  app.use(express.json({ limit: '64kb' }));

  app.use(
    healthRoutes({
      pool,
      redis: gateway.redis,
      store: gateway.store,
      modelProblem: () => reloader.lastError,
    }),
  );
  app.use(
    predictRoutes(
      config,
      pool,
      gateway.explainer,
      metrics,
      (req) => gateway.rollout.traffic.targetFor(req),
      gateway.predictionLog,
    ),
  );
  app.use(monitoringRoutes(gateway.monitoring, () => pool.modelVersion, config.ADMIN_TOKEN));
  const jobs = new RetrainJobs(config, gateway.redis, gateway.store);
  app.use(importRoutes(config, jobs));
  app.use(modelRoutes(registry, pool, config.ADMIN_TOKEN));
  app.use(exportRoutes(registry));
  app.use(retrainRoutes(gateway, jobs));
  const feedback = new FeedbackStore(config, gateway.redis, () => gateway.predictionLog.settle());
  app.use(feedbackRoutes(feedback, jobs, config.ADMIN_TOKEN));
  app.use(trainerRoutes(gateway.redis, config.QUEUE_PREFIX));
  app.use(rolloutRoutes(gateway));
  app.use(metricsRoutes(metrics));
  app.use(openApiRoutes(gatewayRouteDocs, API_VERSION));
  app.use(dashboardRoutes());

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
