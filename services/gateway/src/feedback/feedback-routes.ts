// POST /feedback (the true label of a prediction), GET /feedback (what came in, live accuracy per
// version) and POST /retrain/from-feedback (the labelled inputs as an ordinary retrain job).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from 'express';
import { requireAdmin } from '../admin-auth.js';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { AppError } from '../app-error.js';
import { requestContextOf } from '../request-context.js';
import { statusUrlOf } from '../retrain/job-view.js';
import type { RetrainJobs } from '../retrain/retrain-jobs.js';
import { fromBackends } from '../retrain/retrain-routes.js';
import {
  feedbackBodySchema,
  feedbackListSchema,
  feedbackSchema,
  fromFeedbackBodySchema,
  fromFeedbackResponseSchema,
} from './feedback-schemas.js';
import type { FeedbackStore } from './feedback-store.js';

export const feedbackRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/feedback',
    tag: 'feedback',
    summary:
      'The true label of a prediction, by its predictionId, within PREDICTION_FEEDBACK_WINDOW_MINUTES of it; ' +
      'its input is kept for retraining',
    body: { contentType: 'application/json', schema: feedbackBodySchema, required: true },
    responses: {
      201: { description: 'recorded', schema: feedbackSchema },
      400: { description: 'not a predictionId, or not one of the ten labels' },
      404: { description: 'no such prediction in the feedback window (unknown_prediction)' },
      409: { description: 'the prediction already has feedback (duplicate_feedback)' },
    },
  },
  {
    method: 'get',
    path: '/feedback',
    tag: 'feedback',
    summary:
      'Feedback received: live accuracy per model version, labelled inputs waiting for retraining, the latest',
    responses: { 200: { description: 'the feedback', schema: feedbackListSchema } },
  },
  {
    method: 'post',
    path: '/retrain/from-feedback',
    tag: 'feedback',
    admin: true,
    summary:
      'Builds a class-folder ZIP of the labelled inputs not yet retrained on, stores it by content like an ' +
      'upload, and queues the normal retrain job (replay, evaluation gate, promotion)',
    body: { contentType: 'application/json', schema: fromFeedbackBodySchema, required: false },
    responses: {
      202: { description: 'the job is queued', schema: fromFeedbackResponseSchema },
      409: { description: 'no labelled inputs are waiting (no_feedback_waiting)' },
      503: { description: 'the job queue or the storage is unavailable' },
    },
  },
];

export function feedbackRoutes(
  feedback: FeedbackStore,
  jobs: RetrainJobs,
  adminToken: string | undefined,
): Router {
  const router = Router();

  router.post('/feedback', async (req, res) => {
    const { predictionId, label } = parseRequest(feedbackBodySchema, req.body, 'body');
    res.status(201).json(await feedback.record(predictionId, label));
  });

  router.get('/feedback', async (_req, res) => {
    res.json(await feedback.list());
  });

  router.post('/retrain/from-feedback', requireAdmin(adminToken), async (req, res) => {
    const { epochs } = parseRequest(fromFeedbackBodySchema, req.body ?? {}, 'body');
    const pending = await feedback.pendingZip();
    if (!pending) {
      throw new AppError('no_feedback_waiting', 'no labelled inputs are waiting; POST /feedback first', 409);
    }
    const directory = await mkdtemp(join(tmpdir(), 'visionops-feedback-'));
    try {
      const path = join(directory, 'feedback.zip');
      await writeFile(path, pending.zip);
      const sha256 = createHash('sha256').update(pending.zip).digest('hex');
      const { requestId, log } = requestContextOf(res);
      const submitted = await fromBackends(() =>
        jobs.submit(
          { path, size: pending.zip.length, sha256, originalname: 'feedback.zip' },
          epochs,
          requestId,
        ),
      );
      await feedback.markUsed(pending.ids);
      log.info(
        { jobId: submitted.jobId, images: pending.ids.length, sha256 },
        'retrain from feedback accepted',
      );
      res.status(202).json({
        jobId: submitted.jobId,
        statusUrl: statusUrlOf(submitted.jobId),
        existing: submitted.existing,
        images: pending.ids.length,
        sha256,
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  return router;
}
