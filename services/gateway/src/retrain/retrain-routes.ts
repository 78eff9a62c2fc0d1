// POST /retrain, GET /jobs, GET /jobs/:id and DELETE /jobs/:id: thin routes over RetrainJobs.
import { rm } from 'node:fs/promises';
import { Router } from 'express';
import {
  epochsFieldSchema,
  promoteFieldSchema,
  RetrainUploadError,
  rolloutPercentFieldSchema,
} from '@visionops/core/jobs';
import { jobListSchema, jobViewSchema } from '@visionops/core/contract';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { requireAdmin } from '../admin-auth.js';
import { AppError } from '../app-error.js';
import type { Gateway } from '../gateway.js';
import { requestContextOf } from '../request-context.js';
import { statusUrlOf } from './job-view.js';
import { registerQueueMetrics } from './queue-metrics.js';
import type { RetrainJobs } from './retrain-jobs.js';
import {
  jobListQuerySchema,
  jobParamsSchema,
  retrainAcceptedSchema,
  retrainFormSchema,
} from './retrain-schemas.js';
import { retrainUpload, uploadedZip } from './retrain-upload.js';

export const retrainRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/retrain',
    tag: 'retraining',
    admin: true,
    summary:
      'Upload a ZIP of class folders; a trainer fine-tunes production on it, evaluates, publishes and maybe promotes',
    body: { contentType: 'multipart/form-data', schema: retrainFormSchema, required: true },
    responses: {
      202: {
        description: 'the job (a repeated upload answers with its job while it is queued or running)',
        schema: retrainAcceptedSchema,
      },
      400: { description: 'the ZIP is unsafe or not class folders; the message says what to fix' },
      413: { description: 'the upload is larger than RETRAIN_MAX_UPLOAD_BYTES' },
      429: {
        description: 'over RATE_LIMIT_RETRAIN_PER_HOUR for this client; Retry-After says when to retry',
      },
      503: { description: 'the job queue (Redis) or the storage (S3) is unavailable' },
    },
  },
  {
    method: 'get',
    path: '/jobs',
    tag: 'retraining',
    summary: 'Recent jobs (retrains and imports), newest first',
    query: jobListQuerySchema,
    responses: {
      200: { description: 'the jobs', schema: jobListSchema },
      400: { description: '`limit` is not a whole number from 1 to 100' },
    },
  },
  {
    method: 'get',
    path: '/jobs/:id',
    tag: 'retraining',
    summary: 'One job: state, progress, result or failure reason, timestamps',
    params: jobParamsSchema,
    responses: {
      200: { description: 'the job', schema: jobViewSchema },
      404: { description: 'no such job' },
    },
  },
  {
    method: 'delete',
    path: '/jobs/:id',
    tag: 'retraining',
    admin: true,
    summary:
      'Cancel a job: a queued one is removed, a running one stops within seconds and publishes nothing',
    params: jobParamsSchema,
    responses: {
      200: { description: 'the queued job was removed (state cancelled)', schema: jobViewSchema },
      202: { description: 'the running job was told to stop', schema: jobViewSchema },
      404: { description: 'no such job' },
      409: { description: 'the job has already finished' },
    },
  },
];

export function jobNotFound(id: string): AppError {
  return new AppError('job_not_found', `no job ${JSON.stringify(id)}; GET /jobs lists the recent ones`, 404);
}

/**
 * Runs a call on the queue or storage: a bad upload stays a 400 that says what to fix; anything
 * else there is Redis or S3 trouble, a 503 with the details in the log only.
 */
export async function fromBackends<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RetrainUploadError) throw new AppError(error.problem, error.message, 400);
    throw new AppError('retraining_unavailable', 'the job queue or the storage is unavailable', 503, {
      cause: error,
    });
  }
}

export function retrainRoutes(gateway: Pick<Gateway, 'config' | 'metrics'>, jobs: RetrainJobs): Router {
  const { config } = gateway;
  registerQueueMetrics(gateway.metrics.registry, jobs);
  const router = Router();

  router.post(
    '/retrain',
    requireAdmin(config.ADMIN_TOKEN),
    retrainUpload(config.RETRAIN_MAX_UPLOAD_BYTES),
    async (req, res) => {
      const zip = uploadedZip(req);
      try {
        const body = req.body as Record<string, unknown> | undefined;
        const epochs = parseRequest(epochsFieldSchema, body?.epochs, 'epochs');
        const promote = parseRequest(promoteFieldSchema, body?.promote, 'promote');
        const rolloutPercent = parseRequest(
          rolloutPercentFieldSchema,
          body?.rolloutPercent,
          'rolloutPercent',
        );
        const { requestId, log } = requestContextOf(res);
        const submitted = await fromBackends(() =>
          jobs.submit(zip, epochs, requestId, { promote, rolloutPercent }),
        );
        log.info(
          { jobId: submitted.jobId, existing: submitted.existing, sha256: zip.sha256, epochs, promote },
          'retrain accepted',
        );
        res.status(202).json({
          jobId: submitted.jobId,
          statusUrl: statusUrlOf(submitted.jobId),
          existing: submitted.existing,
          images: submitted.upload.images,
        });
      } finally {
        await rm(zip.path, { force: true });
      }
    },
  );

  router.get('/jobs', async (req, res) => {
    const { limit } = parseRequest(jobListQuerySchema, req.query, 'query');
    res.json({ jobs: await fromBackends(() => jobs.list(limit)) });
  });

  router.get('/jobs/:id', async (req, res) => {
    const { id } = parseRequest(jobParamsSchema, req.params, 'job id');
    const job = await fromBackends(() => jobs.get(id));
    if (!job) throw jobNotFound(id);
    res.json(job);
  });

  router.delete('/jobs/:id', requireAdmin(config.ADMIN_TOKEN), async (req, res) => {
    const { id } = parseRequest(jobParamsSchema, req.params, 'job id');
    const cancelled = await fromBackends(() => jobs.cancel(id));
    switch (cancelled.outcome) {
      case 'not_found':
        throw jobNotFound(id);
      case 'finished':
        throw new AppError(
          'job_finished',
          `job ${id} has already ${cancelled.job.state === 'completed' ? 'completed' : 'ended'}; nothing to cancel`,
          409,
        );
      case 'removed':
        res.status(200).json(cancelled.job);
        return;
      case 'signalled':
        requestContextOf(res).log.info({ jobId: id }, 'cancel of a running job requested');
        res.status(202).json(cancelled.job);
    }
  });

  return router;
}
