// POST /predict: one image in `file` or several in `files`, classified synchronously.
import { Router, type Request, type Response } from 'express';
import type { Config } from '@visionops/core';
import {
  batchPredictionSchema,
  predictFormSchema,
  predictionSchema,
  predictQuerySchema,
} from '../api/api-schemas.js';
import { parseRequest } from '../api/parse-request.js';
import type { RouteDoc } from '../api/route-docs.js';
import { EXPLAIN_RETRY_AFTER_SECONDS, explainImages } from '../explain/explain-images.js';
import type { Explainer } from '../explain/explainer.js';
import type { InferencePool } from '../inference/inference-pool.js';
import type { PredictionLog } from '../monitoring/prediction-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { bodyLimit } from '../security/body-limit.js';
import { AppError } from '../app-error.js';
import { mebibytes } from '../multipart-errors.js';
import { classifyImages, type ServingTarget } from './classify-images.js';
import { predictUpload, uploadedImages, type UploadedImage } from './predict-upload.js';

export const predictRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/predict',
    tag: 'predictions',
    summary:
      'Classify one image (multipart field `file`) or several (field `files`, up to PREDICT_MAX_FILES). ' +
      'JPEG, PNG, WebP or GIF of any size, each up to MAX_IMAGE_BYTES. With `explain=true` each result ' +
      'also has a saliency map of its predicted class (`explanation`), computed by the production ' +
      'model on a thread of its own, so plain predictions never wait for it.',
    query: predictQuerySchema,
    body: { contentType: 'multipart/form-data', schema: predictFormSchema, required: true },
    responses: {
      200: {
        description:
          '`file`: a Prediction; `files`: a BatchPrediction with results in upload order. ' +
          'Every result has a `predictionId` (also in the `x-prediction-id` header, comma-separated ' +
          'for several) to send feedback about it. With `explain=true`, every result has an `explanation`.',
        schema: predictionSchema.or(batchPredictionSchema),
      },
      400: {
        description:
          'no file, a wrong field name, both fields, or too many files (with `explain=true`, more than ' +
          'EXPLAIN_MAX_IMAGES: `too_many_files_to_explain`); `explain` other than true or false',
      },
      413: {
        description: 'an image is larger than MAX_IMAGE_BYTES, or the whole body than PREDICT_MAX_BODY_BYTES',
      },
      415: { description: 'not an image, an unsupported format, a damaged image, or too many pixels' },
      429: {
        description:
          'over RATE_LIMIT_PREDICT_PER_MINUTE for this client (`rate_limited`), or with `explain=true` ' +
          'the explanation thread already has EXPLAIN_MAX_PENDING requests (`explainer_busy`); ' +
          'Retry-After says when to retry',
      },
      503: { description: 'no model loaded yet (model_not_ready)' },
    },
  },
];

export function predictRoutes(
  config: Pick<
    Config,
    'MAX_IMAGE_BYTES' | 'PREDICT_MAX_FILES' | 'PREDICT_MAX_BODY_BYTES' | 'EXPLAIN_MAX_IMAGES'
  >,
  pool: InferencePool,
  /** Answers explained requests: the production model on a thread of its own. */
  explainer: Explainer,
  metrics: GatewayMetrics,
  /** Which version answers a request (a rollout's split); the production pool when not given. */
  targetFor: (req: Request) => ServingTarget = () => pool,
  log?: PredictionLog,
): Router {
  // Explained requests go to the production model's explanation thread, never through the
  // answering pool's batches or a rollout's split: their cost must not reach plain predictions.
  async function explained(images: UploadedImage[], res: Response) {
    try {
      return await explainImages(images, explainer, { maxImages: config.EXPLAIN_MAX_IMAGES }, metrics, log);
    } catch (error) {
      if (error instanceof AppError && error.code === 'explainer_busy') {
        res.setHeader('Retry-After', String(EXPLAIN_RETRY_AFTER_SECONDS));
      }
      throw error;
    }
  }

  const router = Router();
  router.post(
    '/predict',
    bodyLimit(
      config.PREDICT_MAX_BODY_BYTES,
      () =>
        new AppError(
          'request_too_large',
          `a /predict request may carry at most ${mebibytes(config.PREDICT_MAX_BODY_BYTES)} ` +
            `(${config.PREDICT_MAX_BODY_BYTES} bytes) in all; send fewer or smaller images per request`,
          413,
        ),
    ),
    predictUpload({ maxImageBytes: config.MAX_IMAGE_BYTES, maxFiles: config.PREDICT_MAX_FILES }),
    async (req, res) => {
      // The body went over its limit as it ended, and the 413 is out: no work for a lost answer.
      if (res.headersSent) return;
      const explain = parseRequest(predictQuerySchema, req.query, 'query').explain === 'true';
      const { single, images } = uploadedImages(req);
      const { modelVersion, results, explanations } = explain
        ? await explained(images, res)
        : { ...(await classifyImages(images, targetFor(req), metrics, log)), explanations: undefined };
      // One id per image, in order; the body carries each next to its result.
      res.setHeader('x-prediction-id', results.map((result) => result.predictionId).join(','));
      const answers = results.map((result, i) => ({
        ...result,
        ...(explanations && { explanation: explanations[i]! }),
      }));
      if (single) {
        const { filename: _filename, ...result } = answers[0]!;
        res.json({ ...result, modelVersion });
      } else {
        res.json({ results: answers, modelVersion });
      }
    },
  );
  return router;
}
