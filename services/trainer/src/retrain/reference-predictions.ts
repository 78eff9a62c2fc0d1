// A model's answers on its drift reference sample (core's driftReferenceSample of the evaluation
// set), computed in the evaluation thread, and the reference built from them (core's
// buildDriftReference) stored as soon as the version is published.
import type * as tf from '@tensorflow/tfjs';
import { normalise, NUM_CLASSES, PIXELS_PER_IMAGE, type Logger, type Normalisation } from '@visionops/core';
import { predictProbabilities } from '@visionops/core/model';
import type { ObjectStore } from '@visionops/core/registry';
import {
  buildDriftReference,
  driftReferenceSample,
  putDriftReference,
  monitoredPrediction,
  type MonitoredPrediction,
} from '@visionops/core/monitoring';

export interface ReferencePredictions {
  predictions: MonitoredPrediction[];
  source: string;
}

const BATCH = 250;

export function referencePredictions(
  model: tf.LayersModel,
  dataset: { images: Uint8Array; n: number },
  normalisation: Normalisation,
  datasetName: string,
): ReferencePredictions {
  const sample = driftReferenceSample(dataset, datasetName);
  const predictions: MonitoredPrediction[] = [];
  const pixels = new Float32Array(BATCH * PIXELS_PER_IMAGE);
  for (let start = 0; start < sample.images.length; start += BATCH) {
    const batch = sample.images.slice(start, start + BATCH);
    batch.forEach((image, i) => normalise(image, normalisation, pixels, i * PIXELS_PER_IMAGE));
    const probabilities = predictProbabilities(
      model,
      pixels.subarray(0, batch.length * PIXELS_PER_IMAGE),
      batch.length,
    );
    batch.forEach((image, i) => {
      const answer = probabilities.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
      predictions.push(monitoredPrediction(image, answer));
    });
  }
  return { predictions, source: sample.source };
}

/**
 * Stores a just-published version's drift reference. A failure is logged and not retried: the
 * version is published already, and a gateway computes a missing reference when first asked.
 */
export async function storeDriftReference(
  store: ObjectStore,
  version: string,
  figures: ReferencePredictions,
  log: Logger,
): Promise<void> {
  try {
    await putDriftReference(
      store,
      buildDriftReference(figures.predictions, { version, source: figures.source }),
    );
  } catch (error) {
    log.warn({ err: error, version }, 'drift reference not stored; gateways compute it when first asked');
  }
}
