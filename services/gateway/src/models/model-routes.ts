// The model registry over HTTP: list versions with their cards, show one, and promote one to
// production (admin; rollback is promoting an older version). Promotion is announced on the
// models channel, so every gateway swaps to it.
import { Router } from 'express';
import { NotFoundError, type ModelRegistry } from '@visionops/core/registry';
import {
  modelDetailSchema,
  modelListSchema,
  promoteBodySchema,
  promoteResponseSchema,
  versionParamsSchema,
} from '../api/api-schemas.js';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { AppError } from '../app-error.js';
import { requireAdmin } from '../admin-auth.js';
import type { InferencePool } from '../inference/inference-pool.js';
import { requestContextOf } from '../request-context.js';

export const modelRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/models',
    tag: 'models',
    summary: 'Every published model version with its card, the production alias, and the version this gateway serves',
    responses: { 200: { description: 'the registry', schema: modelListSchema }, 503: { description: 'storage unavailable' } },
  },
  {
    method: 'get',
    path: '/models/:version',
    tag: 'models',
    summary: 'One model version: its card and whether it is in production',
    params: versionParamsSchema,
    responses: {
      200: { description: 'the model card', schema: modelDetailSchema },
      400: { description: 'not a version id (v1, v2, ...)' },
      404: { description: 'no such version' },
    },
  },
  {
    method: 'post',
    path: '/models/:version/promote',
    tag: 'models',
    admin: true,
    summary: 'Put a version in production (rollback: promote an older one); every gateway swaps to it',
    params: versionParamsSchema,
    body: { contentType: 'application/json', schema: promoteBodySchema, required: false },
    responses: {
      200: { description: 'the new production alias', schema: promoteResponseSchema },
      400: { description: 'not a version id, or an invalid body' },
      404: { description: 'no such version' },
    },
  },
];

/** Registry faults other than "not found" are storage trouble: 503, details in the log only. */
function registryError(error: unknown): AppError {
  if (error instanceof NotFoundError) return new AppError('model_not_found', error.message, 404);
  return new AppError('storage_unavailable', 'the model registry is unavailable', 503, { cause: error });
}

export async function fromRegistry<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw registryError(error);
  }
}

export function modelRoutes(registry: ModelRegistry, pool: InferencePool, adminToken: string | undefined): Router {
  const router = Router();

  router.get('/models', async (_req, res) => {
    const { versions, production } = await fromRegistry(() => registry.list());
    res.json({
      production,
      serving: pool.modelVersion ?? null,
      versions: versions.map((card) => ({ ...card, inProduction: card.version === production?.version })),
    });
  });

  router.get('/models/:version', async (req, res) => {
    const { version } = parseRequest(versionParamsSchema, req.params, 'model version');
    const [card, production] = await fromRegistry(() =>
      Promise.all([registry.getCard(version), registry.getProduction()]),
    );
    res.json({ ...card, inProduction: production?.alias.version === version });
  });

  router.post('/models/:version/promote', requireAdmin(adminToken), async (req, res) => {
    const { version } = parseRequest(versionParamsSchema, req.params, 'model version');
    const { reason } = parseRequest(promoteBodySchema, req.body ?? {}, 'request body');
    const production = await fromRegistry(() => registry.promote(version, reason ?? 'promoted through the API'));
    requestContextOf(res).log.info({ version, reason }, 'model promoted');
    res.json({ production });
  });

  return router;
}
