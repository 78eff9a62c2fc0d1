// Liveness (/health: 200 for as long as the process serves HTTP, never touching Redis, S3 or the
// model) and readiness (/ready: a model is loaded and Redis, S3 and the ML backend answer; when only
// Redis or S3 fails it is `degraded`: predictions go on from the loaded model).
import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { ObjectStore } from '@visionops/core/registry';
import { healthSchema, readinessSchema } from '@visionops/core/contract';
import type { RouteDoc } from './api/route-docs.js';
import type { InferencePool } from './inference/inference-pool.js';
import { withTimeout } from './with-timeout.js';

export const healthRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    tag: 'operations',
    summary: 'Liveness: 200 while the process runs',
    responses: { 200: { description: 'alive', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/ready',
    tag: 'operations',
    summary: 'Readiness: a model is loaded and the ML backend runs; whether Redis and S3 answer',
    responses: {
      200: {
        description:
          '`ready`, or `degraded`: the loaded model serves predictions, but Redis or S3 does not answer (`reasons` says which)',
        schema: readinessSchema,
      },
      503: {
        description: '`not_ready`: no model loaded or no ML backend; `reasons` says why',
        schema: readinessSchema,
      },
    },
  },
];

export interface ReadinessSources {
  pool: InferencePool;
  redis: Redis;
  store: ObjectStore;
  /** Why the production model is not in service, when known. */
  modelProblem: () => string | undefined;
}

const CHECK_TIMEOUT_MS = 1000;

async function check(probe: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, `no answer within ${CHECK_TIMEOUT_MS} ms`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function healthRoutes(sources?: ReadinessSources): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (!sources) return router;

  router.get('/ready', async (_req, res) => {
    const { pool, redis, store } = sources;
    const [redisProblem, s3Problem] = await Promise.all([
      check(() => redis.ping()),
      check(async () => {
        if (!(await store.bucketExists())) throw new Error(`bucket ${store.bucket} does not exist`);
      }),
    ]);
    const reasons: string[] = [];
    if (!pool.modelVersion) reasons.push(`model: ${sources.modelProblem() ?? 'no model loaded yet'}`);
    if (redisProblem) reasons.push(`redis: ${redisProblem}`);
    if (s3Problem) reasons.push(`s3: ${s3Problem}`);
    if (!pool.backend) reasons.push('backend: the inference threads are not running');
    const ok = (fine: boolean) => (fine ? 'ok' : 'failed');
    // Degraded: the loaded model still answers /predict, but Redis or S3 does not answer, so
    // retraining, hot reload or model routes fail until it is back. Still 200: every replica
    // shares that Redis and S3, so a 503 would take them all out of a balancer's rotation at once
    // and stop predictions that they can all still serve.
    const serving = pool.modelVersion !== undefined && pool.backend !== undefined;
    const status = reasons.length === 0 ? 'ready' : serving ? 'degraded' : 'not_ready';
    res.status(serving ? 200 : 503).json({
      status,
      modelVersion: pool.modelVersion ?? null,
      backend: pool.backend ?? null,
      backendSkipped: pool.backendSkipped,
      checks: {
        model: ok(pool.modelVersion !== undefined),
        redis: ok(!redisProblem),
        s3: ok(!s3Problem),
        backend: ok(pool.backend !== undefined),
      },
      reasons,
    });
  });
  return router;
}
