// Seeding the trainer's datasets in S3 once: a class-balanced replay sample of the data the
// baseline was trained on, and the fixed evaluation set. Both come from paths in the config.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { repoRoot, type Config, type Logger } from '@visionops/core';
import {
  type CifarSplit,
  DatasetNames,
  type DecodedDataset,
  decodeLabelledFiles,
  findCifarBinaryFiles,
  hasStoredDataset,
  isSkipped,
  iterateClassFolderZip,
  type LabelledFile,
  loadDataset,
  putStoredDataset,
} from '@visionops/core/dataset';
import type { ObjectStore } from '@visionops/core/registry';
import { classBalancedSample, subsetDataset } from './dataset-subset.js';

/** The replay sample is the same for the same data: it is drawn with this seed. */
export const REPLAY_SEED = 1;

const sharedDatasets = join(repoRoot, '..', 'shared', 'datasets', 'cifar10');

export interface DataSource {
  path: string;
  split: CifarSplit;
}

export type SeedingConfig = Pick<
  Config,
  'DATA_DIR' | 'DATASET_DIR' | 'REPLAY_DATA_PATH' | 'REPLAY_SAMPLE_SIZE' | 'EVAL_DATA_PATH'
>;

/** REPLAY_DATA_PATH when set; else DATASET_DIR and the shared train.zip, those that exist. */
export function replaySources(config: SeedingConfig): DataSource[] {
  const paths = config.REPLAY_DATA_PATH
    ? [config.REPLAY_DATA_PATH]
    : [config.DATASET_DIR, join(sharedDatasets, 'train.zip')];
  return paths.filter((path) => existsSync(path)).map((path) => ({ path, split: 'train' }));
}

/** EVAL_DATA_PATH, else the CIFAR-10 test batches in DATASET_DIR, else the shared test.zip. */
export async function evaluationSource(config: SeedingConfig): Promise<DataSource | undefined> {
  if (config.EVAL_DATA_PATH) {
    return existsSync(config.EVAL_DATA_PATH) ? { path: config.EVAL_DATA_PATH, split: 'test' } : undefined;
  }
  if (existsSync(config.DATASET_DIR) && (await stat(config.DATASET_DIR)).isDirectory()) {
    if (await findCifarBinaryFiles(config.DATASET_DIR, 'test'))
      return { path: config.DATASET_DIR, split: 'test' };
  }
  const shared = join(sharedDatasets, 'test.zip');
  return existsSync(shared) ? { path: shared, split: 'test' } : undefined;
}

/**
 * A seeded class-balanced sample of `size` images. From a ZIP only the chosen images are decoded
 * (one pass lists the entries, a second decodes the sample); other sources are read whole.
 */
export async function sampleDataset(
  source: DataSource,
  size: number,
  cacheDir: string,
): Promise<DecodedDataset> {
  if (!/\.zip$/i.test(source.path)) {
    const whole = await loadDataset(source.path, { cacheDir, split: source.split });
    return subsetDataset(whole, classBalancedSample(whole.labels, size, REPLAY_SEED));
  }
  const names: string[] = [];
  const labels: number[] = [];
  for await (const item of iterateClassFolderZip(source.path)) {
    if (isSkipped(item)) continue;
    names.push(item.name);
    labels.push(item.label);
  }
  const chosen = new Set(
    Array.from(classBalancedSample(Uint8Array.from(labels), size, REPLAY_SEED), (i) => names[i]!),
  );
  async function* sampled(): AsyncGenerator<LabelledFile> {
    for await (const item of iterateClassFolderZip(source.path)) {
      if (!isSkipped(item) && chosen.has(item.name)) yield item;
    }
  }
  return decodeLabelledFiles(sampled());
}

export interface SeedingReport {
  replay: 'present' | 'seeded' | 'no_source' | 'disabled';
  evaluation: 'present' | 'seeded' | 'no_source';
}

/** Builds whichever of the two datasets S3 lacks; safe to run in every trainer at start-up. */
export async function seedDatasets(
  config: SeedingConfig,
  store: ObjectStore,
  logger: Logger,
): Promise<SeedingReport> {
  const cacheDir = join(config.DATA_DIR, 'cache');
  const report: SeedingReport = { replay: 'present', evaluation: 'present' };

  if (config.REPLAY_SAMPLE_SIZE === 0) {
    report.replay = 'disabled';
  } else if (!(await hasStoredDataset(store, DatasetNames.baselineReplay))) {
    report.replay = 'no_source';
    // The first source that holds images: DATASET_DIR exists but stays empty until dataset:fetch.
    for (const source of replaySources(config)) {
      const started = performance.now();
      const sample = await sampleDataset(source, config.REPLAY_SAMPLE_SIZE, cacheDir);
      if (sample.n === 0) {
        logger.warn({ source: source.path }, 'no images to sample replay data from');
        continue;
      }
      await putStoredDataset(store, DatasetNames.baselineReplay, sample, basename(source.path));
      report.replay = 'seeded';
      logger.info(
        {
          source: source.path,
          images: sample.n,
          seconds: Math.round((performance.now() - started) / 100) / 10,
        },
        'seeded the replay sample',
      );
      break;
    }
    if (report.replay === 'no_source') {
      logger.warn('no replay data (set REPLAY_DATA_PATH): retrain jobs will fine-tune without replay');
    }
  }

  if (!(await hasStoredDataset(store, DatasetNames.evaluation))) {
    const source = await evaluationSource(config);
    const dataset = source && (await loadDataset(source.path, { cacheDir, split: source.split }));
    if (source && dataset && dataset.n > 0) {
      await putStoredDataset(store, DatasetNames.evaluation, dataset, basename(source.path));
      report.evaluation = 'seeded';
      logger.info({ source: source.path, images: dataset.n }, 'seeded the evaluation set');
    } else {
      report.evaluation = 'no_source';
      logger.warn('no evaluation data (set EVAL_DATA_PATH): retrain jobs will hold out part of each upload');
    }
  }
  return report;
}
