// What a retrain job trains and evaluates on, besides the upload: the parent's replay sample and the
// fixed evaluation set from S3, with a held-out part of the upload when no evaluation set exists.
import { NUM_CLASSES } from '@visionops/core';
import {
  DatasetNames,
  type DecodedDataset,
  getStoredDataset,
  type StoredDatasetManifest,
} from '@visionops/core/dataset';
import type { ModelCard } from '@visionops/core/model';
import type { ObjectStore } from '@visionops/core/registry';
import { splitTrainValidation } from '../training/split.js';
import { subsetDataset } from './dataset-subset.js';
import { retrainRecordOf } from './retrain-card.js';

/** Share of the upload held out for evaluation when no evaluation set is stored. */
const HELD_OUT_SHARE = 0.2;

export interface TrainingSets {
  /** The upload, less any held-out part. */
  train: DecodedDataset;
  replay: { dataset: DecodedDataset; manifest: StoredDatasetManifest } | undefined;
  evaluation: { dataset: DecodedDataset; name: string };
  /** What the job could not do as configured, for its result and card. */
  notes: string[];
}

export async function loadTrainingSets(options: {
  store: ObjectStore;
  parent: ModelCard;
  upload: DecodedDataset;
  replayEnabled: boolean;
  seed: number;
}): Promise<TrainingSets> {
  const { store, upload } = options;
  const notes: string[] = [];
  // A retrained parent names its own replay sample (its parent's plus its upload); the baseline's
  // is the one seeding stored.
  const parentReplay = retrainRecordOf(options.parent)?.replaySet ?? DatasetNames.baselineReplay;
  const replay = options.replayEnabled
    ? ((await getStoredDataset(store, parentReplay)) ??
      (await getStoredDataset(store, DatasetNames.baselineReplay)))
    : undefined;
  if (!replay) notes.push("trained without replay: no replay sample of the parent's data is stored");

  const stored = await getStoredDataset(store, DatasetNames.evaluation);
  if (stored) {
    return {
      train: upload,
      replay,
      evaluation: { dataset: stored.dataset, name: stored.manifest.source },
      notes,
    };
  }
  const heldOut = Math.max(NUM_CLASSES, Math.round(upload.n * HELD_OUT_SHARE));
  const split = splitTrainValidation(upload.labels, heldOut, options.seed);
  if (split.trainIndices.length === 0 || split.validationIndices.length === 0) {
    throw new Error('no evaluation set is stored and the upload is too small to hold part of it out');
  }
  notes.push(
    `no evaluation set is stored: evaluated on ${split.validationIndices.length} held-out upload images, ` +
      'a weaker check than the fixed evaluation set',
  );
  return {
    train: subsetDataset(upload, split.trainIndices),
    replay,
    evaluation: {
      dataset: subsetDataset(upload, split.validationIndices),
      name: 'held-out part of the upload',
    },
    notes,
  };
}
