// The one path from a version's answers on its evaluation set to its stored drift reference: the
// trainer runs it when it publishes a version, the gateway only for versions published without one.
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import { S3Keys } from '../names.js';
import type { ObjectStore } from '../registry/object-store.js';
import { NotFoundError } from '../registry/registry-errors.js';
import type { DriftReference, MonitoredPrediction } from './drift.js';
import { inputStatistics } from './input-statistics.js';

/** Evaluation images a reference is computed on at most (evenly spread over the set). */
export const REFERENCE_SAMPLE = 2000;

export interface ReferenceSample {
  /** 32x32 RGB inputs (HWC uint8), views into the dataset. */
  images: Uint8Array[];
  /** Where they came from, e.g. "datasets/eval.vods (2000 of 10000 images)". */
  source: string;
}

/** Up to `max` images spread evenly over a decoded dataset, the same ones every time. */
export function driftReferenceSample(
  dataset: { images: Uint8Array; n: number },
  datasetName: string,
  max = REFERENCE_SAMPLE,
): ReferenceSample {
  const take = Math.min(max, dataset.n);
  const images = Array.from({ length: take }, (_, k) => {
    const i = Math.floor((k * dataset.n) / take);
    return dataset.images.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
  });
  return { images, source: `${datasetName} (${take} of ${dataset.n} images)` };
}

/** What drift keeps of a model's answer on one input: top class, its probability, input statistics. */
export function monitoredPrediction(
  image: Uint8Array,
  probabilities: ArrayLike<number>,
): MonitoredPrediction {
  let classIndex = 0;
  for (let c = 1; c < probabilities.length; c++) {
    if (probabilities[c]! > probabilities[classIndex]!) classIndex = c;
  }
  return { classIndex, confidence: probabilities[classIndex]!, ...inputStatistics(image) };
}

export async function putDriftReference(store: ObjectStore, reference: DriftReference): Promise<void> {
  await store.put(S3Keys.driftReference(reference.version), JSON.stringify(reference), 'application/json');
}

/** The stored reference of a version, or undefined when none is stored. */
export async function getDriftReference(
  store: ObjectStore,
  version: string,
): Promise<DriftReference | undefined> {
  try {
    return JSON.parse(
      (await store.get(S3Keys.driftReference(version))).body.toString('utf8'),
    ) as DriftReference;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
