// Rollouts over HTTP: start one (admin), see the current one with its live figures, promote or
// abort it by hand (admin), and the history of finished ones with how each ended and why.
import { Router } from 'express';
import { NotFoundError, RolloutStateError, type RolloutOutcome } from '@visionops/core/registry';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { AppError } from '../app-error.js';
import { requireAdmin } from '../admin-auth.js';
import type { Gateway } from '../gateway.js';
import { requestContextOf } from '../request-context.js';
import { judgeRollout } from './rollout-criteria.js';
import {
  currentRolloutSchema,
  rolloutDecisionBodySchema,
  rolloutEndedSchema,
  rolloutHistoryQuerySchema,
  rolloutHistorySchema,
  rolloutStartBodySchema,
  rolloutStartedSchema,
} from './rollout-schemas.js';

const decisionResponses = {
  200: { description: 'the finished rollout as the history keeps it', schema: rolloutEndedSchema },
  400: { description: 'an invalid body' },
  409: { description: 'no rollout is in progress (no_rollout), or it ended meanwhile (rollout_changed)' },
  503: { description: 'storage unavailable' },
};

export const rolloutRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/rollouts',
    tag: 'rollouts',
    admin: true,
    summary:
      'Start a rollout of a published version: shadow (production answers, the candidate scores a share of ' +
      'requests in the background) or canary (a stable share of clients, by `x-client-id` or address, is ' +
      'answered by the candidate). Every gateway follows it; criteria promote or roll back automatically.',
    body: { contentType: 'application/json', schema: rolloutStartBodySchema, required: true },
    responses: {
      201: { description: 'the rollout started', schema: rolloutStartedSchema },
      400: { description: 'an invalid body' },
      404: { description: 'no such candidate version' },
      409: {
        description:
          'a rollout is in progress, the candidate is already in production, or there is no production',
      },
      503: { description: 'storage unavailable' },
    },
  },
  {
    method: 'get',
    path: '/rollouts/current',
    tag: 'rollouts',
    summary:
      'The rollout in progress (null when none), the live figures of both versions and what the criteria say',
    responses: {
      200: { description: 'the current rollout', schema: currentRolloutSchema },
      503: { description: 'storage or Redis unavailable' },
    },
  },
  {
    method: 'post',
    path: '/rollouts/current/promote',
    tag: 'rollouts',
    admin: true,
    summary: 'Promote the candidate now (it becomes production on every gateway) and end the rollout',
    body: { contentType: 'application/json', schema: rolloutDecisionBodySchema, required: false },
    responses: decisionResponses,
  },
  {
    method: 'post',
    path: '/rollouts/current/abort',
    tag: 'rollouts',
    admin: true,
    summary: 'End the rollout and keep production as it is (a rollback by hand)',
    body: { contentType: 'application/json', schema: rolloutDecisionBodySchema, required: false },
    responses: decisionResponses,
  },
  {
    method: 'get',
    path: '/rollouts/history',
    tag: 'rollouts',
    summary:
      'Finished rollouts, newest first: how each ended (promoted, rolled_back, aborted), why, and its figures',
    query: rolloutHistoryQuerySchema,
    responses: {
      200: { description: 'the history', schema: rolloutHistorySchema },
      400: { description: 'an invalid limit' },
      503: { description: 'storage unavailable' },
    },
  },
];

function rolloutError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof RolloutStateError) return new AppError(error.code, error.message, 409);
  if (error instanceof NotFoundError) return new AppError('model_not_found', error.message, 404);
  return new AppError('storage_unavailable', 'the model registry is unavailable', 503, { cause: error });
}

async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw rolloutError(error);
  }
}

export function rolloutRoutes(gateway: Gateway): Router {
  const router = Router();
  const { rollouts, follower, stats } = gateway.rollout;
  const admin = requireAdmin(gateway.config.ADMIN_TOKEN);

  router.post('/rollouts', admin, async (req, res) => {
    const body = parseRequest(rolloutStartBodySchema, req.body ?? {}, 'request body');
    const rollout = await guarded(() => rollouts.start(body));
    requestContextOf(res).log.info({ rollout }, 'rollout started');
    void follower.sync(true);
    res.status(201).json({ rollout });
  });

  router.get('/rollouts/current', async (_req, res) => {
    const current = await guarded(() => rollouts.current());
    if (!current) {
      res.json({ rollout: null, stats: null, verdict: null, active: false, problem: null });
      return;
    }
    const { rollout } = current;
    const figures = await guarded(() =>
      stats.read(rollout.id, { production: rollout.baseline, candidate: rollout.candidate }),
    );
    res.json({
      rollout,
      stats: figures,
      verdict: judgeRollout(rollout, figures),
      active: follower.active?.rollout.id === rollout.id,
      problem: follower.lastError ?? null,
    });
  });

  const decide = (outcome: RolloutOutcome, fallbackReason: string) =>
    router.post(
      `/rollouts/current/${outcome === 'promoted' ? 'promote' : 'abort'}`,
      admin,
      async (req, res) => {
        const { reason } = parseRequest(rolloutDecisionBodySchema, req.body ?? {}, 'request body');
        const record = await guarded(async () => {
          const current = await rollouts.current();
          if (!current) throw new RolloutStateError('no_rollout', 'no rollout is in progress');
          const { rollout } = current;
          const figures = await stats
            .read(rollout.id, { production: rollout.baseline, candidate: rollout.candidate })
            .catch(() => null);
          return rollouts.finish({
            id: rollout.id,
            outcome,
            reason: reason ?? fallbackReason,
            decidedBy: 'admin',
            stats: figures,
          });
        });
        requestContextOf(res).log.info(
          { id: record.id, outcome, reason: record.reason },
          'rollout ended by an admin',
        );
        void follower.sync(true);
        res.json({ rollout: record });
      },
    );
  decide('promoted', 'promoted through the API');
  decide('aborted', 'aborted through the API');

  router.get('/rollouts/history', async (req, res) => {
    const { limit } = parseRequest(rolloutHistoryQuerySchema, req.query, 'query');
    res.json({ rollouts: await guarded(() => rollouts.history(limit)) });
  });

  return router;
}
