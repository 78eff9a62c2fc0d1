// POST /predict: one image in `file` or several in `files`, classified synchronously.
import { Router, type Request } from 'express';
import type { Config } from '@visionops/core';
import { batchPredictionSchema, predictFormSchema, predictionSchema } from '../api/api-schemas.js';
import type { RouteDoc } from '../api/route-docs.js';
import type { InferencePool } from '../inference/inference-pool.js';
import type { PredictionLog } from '../monitoring/prediction-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { bodyLimit } from '../security/body-limit.js';
import { AppError } from '../app-error.js';
import { mebibytes } from '../multipart-errors.js';
import { classifyImages, type ServingTarget } from './classify-images.js';
import { predictUpload, uploadedImages } from './predict-upload.js';

export const predictRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/predict',
    tag: 'predictions',
    summary:
      'Classify one image (multipart field `file`) or several (field `files`, up to PREDICT_MAX_FILES). ' +
      'JPEG, PNG, WebP or GIF of any size, each up to MAX_IMAGE_BYTES.',
    body: { contentType: 'multipart/form-data', schema: predictFormSchema, required: true },
    responses: {
      200: {
        description:
          '`file`: a Prediction; `files`: a BatchPrediction with results in upload order. ' +
          'Every result has a `predictionId` (also in the `x-prediction-id` header, comma-separated ' +
          'for several) to send feedback about it.',
        schema: predictionSchema.or(batchPredictionSchema),
      },
      400: { description: 'no file, a wrong field name, both fields, or too many files' },
      413: {
        description: 'an image is larger than MAX_IMAGE_BYTES, or the whole body than PREDICT_MAX_BODY_BYTES',
      },
      415: { description: 'not an image, an unsupported format, a damaged image, or too many pixels' },
      429: {
        description: 'over RATE_LIMIT_PREDICT_PER_MINUTE for this client; Retry-After says when to retry',
      },
      503: { description: 'no model loaded yet (model_not_ready)' },
    },
  },
];

export function predictRoutes(
  config: Pick<Config, 'MAX_IMAGE_BYTES' | 'PREDICT_MAX_FILES' | 'PREDICT_MAX_BODY_BYTES'>,
  pool: InferencePool,
  metrics: GatewayMetrics,
  /** Which version answers a request (a rollout's split); the production pool when not given. */
  targetFor: (req: Request) => ServingTarget = () => pool,
  log?: PredictionLog,
): Router {
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
      const { single, images } = uploadedImages(req);
      const { modelVersion, results } = await classifyImages(images, targetFor(req), metrics, log);
      // One id per image, in order; the body carries each next to its result.
      res.setHeader('x-prediction-id', results.map((result) => result.predictionId).join(','));
      if (single) {
        const { filename: _filename, ...result } = results[0]!;
        res.json({ ...result, modelVersion });
      } else {
        res.json({ results, modelVersion });
      }
    },
  );
  return router;
}
