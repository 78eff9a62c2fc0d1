// The gateway's Express application: request context, routes, then the 404 and error handlers.
import express, { type Express } from 'express';
import type { Logger } from '@visionops/core';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { healthRoutes } from './health-routes.js';
import { requestContext } from './request-context.js';

export function createApp(logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext(logger));
  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes());
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
