// The prediction use case: decode every image with the one preprocessing function, run them as one
// unit through the inference pool (so they share a model version), and name each class.
import { decodeImage, ImageDecodeError, LABELS, type Label } from '@visionops/core';
import { AppError } from '../app-error.js';
import { ModelNotReadyError, type Prediction } from '../inference/inference-pool.js';
import { logAnswer, type PredictionLog } from '../monitoring/prediction-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import type { UploadedImage } from './predict-upload.js';

export interface Classification {
  label: Label;
  confidence: number;
  probabilities: Record<Label, number>;
}

/**
 * What answers a request: the production pool, during a rollout the version chosen for it, or for
 * an explained request the explanation thread (whose predictions carry saliency maps too).
 */
export interface ServingTarget<P extends Prediction = Prediction> {
  readonly modelVersion: string | undefined;
  predict(images: readonly Uint8Array[]): Promise<P>;
}

export interface ClassifiedImages<P extends Prediction = Prediction> {
  modelVersion: string;
  results: (Classification & { filename: string; predictionId: string })[];
  /** The target's answer as it came (for what it adds to the probabilities). */
  prediction: P;
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

/** The index of the most probable class (the first on a tie). */
export function topClass(probabilities: Float32Array): number {
  let best = 0;
  for (let c = 1; c < LABELS.length; c++) if (probabilities[c]! > probabilities[best]!) best = c;
  return best;
}

function classification(probabilities: Float32Array): Classification {
  const best = topClass(probabilities);
  return {
    label: LABELS[best]!,
    confidence: probabilities[best]!,
    probabilities: Object.fromEntries(LABELS.map((label, c) => [label, probabilities[c]!])) as Record<
      Label,
      number
    >,
  };
}

/** Decodes uploaded images with the one preprocessing function; an undecodable one is a 415. */
export function decodeUploadedImages(images: readonly UploadedImage[]): Promise<Uint8Array[]> {
  return Promise.all(
    images.map((image) =>
      decodeImage(image.data).catch((error: unknown) => {
        throw error instanceof ImageDecodeError ? undecodable(error, image, images.length > 1) : error;
      }),
    ),
  );
}

export interface ClassProbabilities<P extends Prediction = Prediction> {
  modelVersion: string;
  prediction: P;
  /** One array of class probabilities (LABELS order) per image, in request order. */
  probabilities: Float32Array[];
  /** The most probable class of each image. */
  labels: Label[];
}

/**
 * Runs decoded 32x32 RGB images as one unit through the inference pool (so they share a model
 * version) and counts each prediction in the metrics. Every prediction route ends here.
 */
export async function predictDecoded<P extends Prediction>(
  decoded: readonly Uint8Array[],
  pool: ServingTarget<P>,
  metrics: GatewayMetrics,
): Promise<ClassProbabilities<P>> {
  let prediction: P;
  try {
    prediction = await pool.predict(decoded);
  } catch (error) {
    throw error instanceof ModelNotReadyError ? modelNotReady() : error;
  }
  const labels = prediction.probabilities.map((probabilities) => LABELS[topClass(probabilities)]!);
  for (const label of labels) {
    metrics.predictions.inc({ label, model_version: prediction.version });
  }
  return { modelVersion: prediction.version, prediction, probabilities: prediction.probabilities, labels };
}

export async function classifyImages<P extends Prediction>(
  images: readonly UploadedImage[],
  pool: ServingTarget<P>,
  metrics: GatewayMetrics,
  log?: PredictionLog,
  explained = false,
): Promise<ClassifiedImages<P>> {
  // Fail fast, before decoding, when there is no model to run.
  if (!pool.modelVersion) throw modelNotReady();
  const started = performance.now();
  const decoded = await decodeUploadedImages(images);
  const { modelVersion, prediction, probabilities } = await predictDecoded(decoded, pool, metrics);
  const latencyMs = performance.now() - started;
  const ids = logAnswer(log, {
    modelVersion,
    probabilities,
    pixels: decoded,
    encoded: images.map((image) => image.data),
    latencyMs,
    explained,
  });
  const results = probabilities.map((each, i) => ({
    filename: images[i]!.filename,
    predictionId: ids[i]!,
    ...classification(each),
  }));
  return { modelVersion, results, prediction };
}
