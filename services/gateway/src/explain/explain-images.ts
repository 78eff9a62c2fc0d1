// The explained prediction use case: the ordinary prediction (ids, metrics, prediction log) answered
// by the explanation thread, with each result's saliency map as a PNG.
import { SALIENCY_SIZE } from '@visionops/core';
import type { z } from 'zod';
import type { explanationSchema } from '../api/api-schemas.js';
import { AppError } from '../app-error.js';
import type { PredictionLog } from '../monitoring/prediction-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { classifyImages, type ClassifiedImages } from '../predict/classify-images.js';
import type { UploadedImage } from '../predict/predict-upload.js';
import { ExplainerBusyError, type ExplainedPrediction, type Explainer } from './explainer.js';
import { saliencyPng } from './saliency-png.js';

/** Seconds a client refused for a busy explanation thread is asked to wait. */
export const EXPLAIN_RETRY_AFTER_SECONDS = 1;

export type Explanation = z.infer<typeof explanationSchema>;

export async function explainImages(
  images: readonly UploadedImage[],
  explainer: Explainer,
  limits: { maxImages: number },
  metrics: GatewayMetrics,
  log?: PredictionLog,
): Promise<ClassifiedImages<ExplainedPrediction> & { explanations: Explanation[] }> {
  if (images.length > limits.maxImages) {
    throw new AppError(
      'too_many_files_to_explain',
      `explain=true takes at most ${limits.maxImages} images per request (EXPLAIN_MAX_IMAGES); ` +
        `send fewer, or leave explain out to classify up to the usual limit`,
      400,
    );
  }
  let classified;
  try {
    classified = await classifyImages(images, explainer, metrics, log, true);
  } catch (error) {
    if (!(error instanceof ExplainerBusyError)) throw error;
    metrics.explainRejected.inc();
    throw new AppError(
      'explainer_busy',
      `explanations are busy (${error.maxPending} explained requests at a time on this gateway); ` +
        `retry in ${EXPLAIN_RETRY_AFTER_SECONDS} s, or predict without explain=true`,
      429,
      { cause: error },
    );
  }
  const pngs = await Promise.all(classified.prediction.saliency.map((map) => saliencyPng(map)));
  const explanations = classified.results.map((result, i): Explanation => ({
    method: explainer.method,
    class: result.label,
    width: SALIENCY_SIZE,
    height: SALIENCY_SIZE,
    png: pngs[i]!,
  }));
  return { ...classified, explanations };
}
