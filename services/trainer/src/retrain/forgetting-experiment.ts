// The forgetting experiment: fine-tune the baseline on cat images only, with replay off and on, and
// measure accuracy on the test set each time. Without replay a model drifts towards the one class it
// is shown; the replay sample is what keeps the other nine.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { indexOfLabel, type Config } from '@visionops/core';
import {
  decodeLabelledFiles,
  isSkipped,
  iterateClassFolderZip,
  loadDataset,
  type DecodedDataset,
  type LabelledFile,
} from '@visionops/core/dataset';
import { readModelFiles, trainableArchitecture, type ModelCard } from '@visionops/core/model';
import { REPLAY_SEED, sampleDataset } from './dataset-seeding.js';
import { fineTune, type FineTuneOutput } from './fine-tune.js';

export interface ForgettingOptions {
  baselineDir: string;
  trainZip: string;
  testZip: string;
  config: Pick<Config, 'DATA_DIR' | 'ML_BACKEND' | 'TRAIN_THREADS' | 'REPLAY_SAMPLE_SIZE' | 'REPLAY_RATIO'>;
  /** Images of the one class the upload holds (default 500 cats). */
  images?: number;
  label?: string;
  epochs?: number;
  log?: (line: string) => void;
}

export interface ForgettingRun {
  replay: boolean;
  accuracy: number;
  /** Baseline accuracy minus this run's, in [0, 1] (positive: forgotten). */
  drop: number;
  classAccuracy: number;
  trainImages: number;
  seconds: number;
}

export interface ForgettingReport {
  baseline: { accuracy: number; classAccuracy: number; n: number; dataset: string };
  label: string;
  uploaded: number;
  epochs: number;
  replaySample: number;
  replayRatio: number;
  off: ForgettingRun;
  on: ForgettingRun;
}

/** The first `count` images of one class from a class-folder ZIP. */
async function oneClass(zip: string, label: number, count: number): Promise<DecodedDataset> {
  async function* files(): AsyncGenerator<LabelledFile> {
    for await (const item of iterateClassFolderZip(zip))
      if (!isSkipped(item) && item.label === label) yield item;
  }
  return decodeLabelledFiles(files(), { maxImages: count });
}

export async function runForgettingExperiment(options: ForgettingOptions): Promise<ForgettingReport> {
  const log = options.log ?? (() => undefined);
  const label = options.label ?? 'cat';
  const labelIndex = indexOfLabel(label);
  if (labelIndex === undefined) throw new Error(`${label} is not a CIFAR-10 label`);
  const epochs = options.epochs ?? 3;
  const cacheDir = join(options.config.DATA_DIR, 'cache');
  const files = await readModelFiles(options.baselineDir);
  const card = JSON.parse(await readFile(join(options.baselineDir, 'card.json'), 'utf8')) as ModelCard;
  const architecture = trainableArchitecture(card);
  if (!architecture)
    throw new Error(`${options.baselineDir} holds an imported model, which cannot be fine-tuned`);

  log(`decoding ${options.images ?? 500} ${label} images, the replay sample and the test set`);
  const upload = await oneClass(options.trainZip, labelIndex, options.images ?? 500);
  const replay = await sampleDataset(
    { path: options.trainZip, split: 'train' },
    options.config.REPLAY_SAMPLE_SIZE,
    cacheDir,
  );
  const test = await loadDataset(options.testZip, { cacheDir, split: 'test' });

  const run = async (withReplay: boolean): Promise<{ run: ForgettingRun; output: FineTuneOutput }> => {
    log(`fine-tuning ${epochs} epochs with replay ${withReplay ? 'on' : 'off'}`);
    const started = performance.now();
    const output = await fineTune({
      parent: { files, architecture, normalisation: card.normalisation },
      upload,
      replay: withReplay ? replay : undefined,
      replayRatio: options.config.REPLAY_RATIO,
      evaluation: { dataset: test, name: basename(options.testZip) },
      epochs,
      threads: options.config.TRAIN_THREADS,
      backend: options.config.ML_BACKEND,
      seed: REPLAY_SEED,
    });
    return {
      output,
      run: {
        replay: withReplay,
        accuracy: output.metrics.accuracy,
        drop: output.parentMetrics.accuracy - output.metrics.accuracy,
        classAccuracy: output.metrics.perClass[label] ?? 0,
        trainImages: output.mix.train,
        seconds: (performance.now() - started) / 1000,
      },
    };
  };
  const off = await run(false);
  const on = await run(true);
  const baseline = off.output.parentMetrics;
  return {
    baseline: {
      accuracy: baseline.accuracy,
      classAccuracy: baseline.perClass[label] ?? 0,
      n: baseline.n,
      dataset: baseline.dataset,
    },
    label,
    uploaded: upload.n,
    epochs,
    replaySample: replay.n,
    replayRatio: options.config.REPLAY_RATIO,
    off: off.run,
    on: on.run,
  };
}

export function formatForgettingReport(report: ForgettingReport): string {
  const pct = (value: number) => `${(value * 100).toFixed(2)}%`;
  const points = (value: number) => `${(value * 100).toFixed(2)} points`;
  const row = (run: ForgettingRun) =>
    `replay ${run.replay ? 'on ' : 'off'}  accuracy ${pct(run.accuracy)}  drop ${points(run.drop)}  ` +
    `${report.label} ${pct(run.classAccuracy)}  (${run.trainImages} training images, ${run.seconds.toFixed(0)} s)`;
  return [
    `fine-tuning the baseline on ${report.uploaded} ${report.label} images for ${report.epochs} epochs; ` +
      `replay: ${report.replayRatio} replay images per uploaded one, from a ${report.replaySample}-image sample`,
    `baseline      accuracy ${pct(report.baseline.accuracy)}  ${report.label} ${pct(report.baseline.classAccuracy)}  (${report.baseline.n} images of ${report.baseline.dataset})`,
    row(report.off),
    row(report.on),
  ].join('\n');
}
