// Decoded datasets kept in S3 for the trainer: the fixed evaluation set and replay samples, each a
// dataset file plus a JSON manifest written after it (so a manifest always has its data).
import { EVALUATION_DATASET, S3Keys } from '../names.js';
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import type { ObjectStore } from '../registry/object-store.js';
import { NotFoundError } from '../registry/registry-errors.js';
import { decodeDatasetFile, encodeDatasetHeader } from './dataset-file.js';
import { countPerClass, type DecodedDataset } from './decoded-dataset.js';

export const DatasetNames = {
  evaluation: EVALUATION_DATASET,
  /** The sample of the baseline's training data, written by seeding. */
  baselineReplay: 'replay/baseline',
  /**
   * The replay sample a version made from `parent`'s sample and upload `sha256` passes on to its
   * children. Named by its inputs, so a retried job rewrites the same one.
   */
  replayAfter: (parent: string, sha256: string) => `replay/${parent}-${sha256.slice(0, 16)}`,
} as const;

export interface StoredDatasetManifest {
  name: string;
  /** Where the images came from, for people (a file name, or "v3 upload + replay/v2"). */
  source: string;
  n: number;
  perClass: number[];
  createdAt: string;
}

export async function putStoredDataset(
  store: ObjectStore,
  name: string,
  dataset: DecodedDataset,
  source: string,
): Promise<StoredDatasetManifest> {
  const body = Buffer.concat([
    encodeDatasetHeader(dataset),
    dataset.images.subarray(0, dataset.n * PIXELS_PER_IMAGE),
    dataset.labels.subarray(0, dataset.n),
  ]);
  const manifest: StoredDatasetManifest = {
    name,
    source,
    n: dataset.n,
    perClass: countPerClass(dataset.labels, dataset.n),
    createdAt: new Date().toISOString(),
  };
  await store.put(S3Keys.dataset(name), body);
  await store.put(S3Keys.datasetManifest(name), JSON.stringify(manifest), 'application/json');
  return manifest;
}

export interface StoredDataset {
  manifest: StoredDatasetManifest;
  dataset: DecodedDataset;
}

/** The dataset and its manifest, or undefined when none is stored under that name. */
export async function getStoredDataset(store: ObjectStore, name: string): Promise<StoredDataset | undefined> {
  try {
    const manifest = JSON.parse(
      (await store.get(S3Keys.datasetManifest(name))).body.toString('utf8'),
    ) as StoredDatasetManifest;
    const dataset = decodeDatasetFile((await store.get(S3Keys.dataset(name))).body);
    return { manifest, dataset };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

export async function hasStoredDataset(store: ObjectStore, name: string): Promise<boolean> {
  return (await store.stat(S3Keys.datasetManifest(name))) !== undefined;
}
