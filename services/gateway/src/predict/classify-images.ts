// The prediction use case: decode every image with the one preprocessing function, run them as one
// unit through the inference pool (so they share a model version), and name each class.
import { decodeImage, ImageDecodeError, LABELS, type Label } from '@visionops/core';
import { AppError } from '../app-error.js';
import { ModelNotReadyError, type InferencePool } from '../inference/inference-pool.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { UploadedImage } from './predict-upload.js';

export interface Classification {
  label: Label;
  confidence: number;
  probabilities: Record<Label, number>;
}

/** What answers a request: the production pool, or during a rollout the version chosen for it. */
export type ServingTarget = Pick<InferencePool, 'modelVersion' | 'predict'>;

export interface ClassifiedImages {
  modelVersion: string;
  results: (Classification & { filename: string })[];
}

export function modelNotReady(): AppError {
  return new AppError(
    'model_not_ready',
    'no model is loaded yet (the registry is empty or unreachable); retry in a few seconds',
    503,
  );
}

function undecodable(error: ImageDecodeError, image: UploadedImage, several: boolean): AppError {
  const which = several ? `"${image.filename}": ` : '';
  return new AppError(`image_${error.reason}`, `${which}${error.message}`, 415, { cause: error });
}

function classification(probabilities: Float32Array): Classification {
  let best = 0;
  for (let c = 1; c < LABELS.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
  return {
    label: LABELS[best]!,
    confidence: probabilities[best]!,
    probabilities: Object.fromEntries(LABELS.map((label, c) => [label, probabilities[c]!])) as Record<
      Label,
      number
    >,
  };
}

export async function classifyImages(
  images: readonly UploadedImage[],
  pool: ServingTarget,
  metrics: GatewayMetrics,
): Promise<ClassifiedImages> {
  // Fail fast, before decoding, when there is no model to run.
  if (!pool.modelVersion) throw modelNotReady();
  const decoded = await Promise.all(
    images.map((image) =>
      decodeImage(image.data).catch((error: unknown) => {
        throw error instanceof ImageDecodeError ? undecodable(error, image, images.length > 1) : error;
      }),
    ),
  );
  let prediction;
  try {
    prediction = await pool.predict(decoded);
  } catch (error) {
    throw error instanceof ModelNotReadyError ? modelNotReady() : error;
  }
  const results = prediction.probabilities.map((probabilities, i) => ({
    filename: images[i]!.filename,
    ...classification(probabilities),
  }));
  for (const result of results) {
    metrics.predictions.inc({ label: result.label, model_version: prediction.version });
  }
  return { modelVersion: prediction.version, results };
}
