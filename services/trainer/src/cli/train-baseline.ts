// `npm run train:baseline`: trains the baseline model from scratch with the project's own
// pipeline (the same data readers, preprocessing, engine and trainer as retrain jobs), then
// evaluates it and writes model.json, weights.bin and card.json.
//
//   npm run train:baseline -- --data ../shared/datasets/cifar10/train.zip \
//     --eval ../shared/datasets/cifar10/test.zip --out models/baseline
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CIFAR10_NORMALISATION, LABELS, loadConfig, PREPROCESS_VERSION } from '@visionops/core';
import { loadDataset } from '@visionops/core/dataset';
import { initBackend, type BackendPreference } from '@visionops/core/engine';
import {
  createModel,
  DEFAULT_ARCHITECTURE,
  evaluateModel,
  INPUT_SHAPE,
  isTestTimeAugmentation,
  saveModelToDir,
  setWeightValues,
  writeAtomically,
  type ModelCard,
} from '@visionops/core/model';
import { STANDARD_AUGMENTATION } from '../training/augment.js';
import { trainDataParallel, type TrainOptions } from '../training/data-parallel-trainer.js';
import { ProgressPrinter } from '../training/progress-printer.js';
import { splitTrainValidation } from '../training/split.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    eval: { type: 'string' },
    out: { type: 'string', default: 'models/baseline' },
    epochs: { type: 'string', default: '34' },
    width: { type: 'string', default: String(DEFAULT_ARCHITECTURE.width) },
    tta: { type: 'string', default: DEFAULT_ARCHITECTURE.testTimeAugmentation ?? 'none' },
    batch: { type: 'string', default: '512' },
    lr: { type: 'string', default: '0.4' },
    warmup: { type: 'string', default: '0.2' },
    momentum: { type: 'string', default: '0.9' },
    'weight-decay': { type: 'string', default: '5e-4' },
    'label-smoothing': { type: 'string', default: '0.2' },
    validation: { type: 'string', default: '1000' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string' },
    backend: { type: 'string' },
    resume: { type: 'boolean', default: false },
    'checkpoint-dir': { type: 'string' },
  },
});

function number(name: keyof typeof args): number {
  const value = Number(args[name]);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${String(args[name])}`);
  return value;
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (!args.data) throw new Error('--data <zip|dir|cifar-binary dir> is required');
  const printer = new ProgressPrinter();
  const cacheDir = join(config.DATA_DIR, 'cache');
  const started = performance.now();

  printer.line(`loading ${args.data} (decoded images are cached in ${cacheDir})`);
  const train = await loadDataset(resolve(args.data), { cacheDir });
  printer.line(
    `${train.n} training images${train.fromCache ? ' (from cache)' : ''}, ${train.skipped.length} skipped`,
  );

  const limit = args.limit ? number('limit') : train.n;
  const seed = number('seed');
  const { trainIndices, validationIndices } = splitTrainValidation(
    train.labels,
    number('validation'),
    seed,
    limit,
  );
  const threads = args.threads ? number('threads') : Math.min(2, availableParallelism());
  const testTimeAugmentation = args.tta;
  if (!isTestTimeAugmentation(testTimeAugmentation))
    throw new Error(`--tta must be none or flip, got ${args.tta}`);
  const options: TrainOptions = {
    architecture: { name: 'resnet9', width: number('width'), testTimeAugmentation },
    backend: (args.backend ?? config.ML_BACKEND) as BackendPreference,
    threads,
    epochs: number('epochs'),
    batchSize: number('batch'),
    schedule: { kind: 'one-cycle', peak: number('lr'), warmup: number('warmup') },
    momentum: number('momentum'),
    weightDecay: number('weight-decay'),
    labelSmoothing: number('label-smoothing'),
    augmentation: STANDARD_AUGMENTATION,
    normalisation: { ...CIFAR10_NORMALISATION },
    seed,
    checkpointDir: resolve(args['checkpoint-dir'] ?? join(config.DATA_DIR, 'checkpoints', 'baseline')),
    onProgress: (p) => printer.progress(p),
    onEpoch: (r) => printer.epoch(r),
  };
  if (!args.resume) await rm(options.checkpointDir!, { recursive: true, force: true });
  printer.line(
    `training ${trainIndices.length} images, validating on ${validationIndices.length}, ` +
      `${options.epochs} epochs, batch ${options.batchSize}, ${threads} thread(s)`,
  );
  const result = await trainDataParallel(options, {
    images: train.images,
    labels: train.labels,
    trainIndices,
    validationIndices,
  });
  if (result.resumedFromEpoch > 0) printer.line(`resumed after epoch ${result.resumedFromEpoch}`);

  const backend = await initBackend(options.backend);
  const model = createModel(options.architecture, seed);
  setWeightValues(model, result.state.weights);
  const out = resolve(args.out);
  const files = await saveModelToDir(model, out);

  let metrics: ModelCard['metrics'] = null;
  if (args.eval) {
    const evaluation = await loadDataset(resolve(args.eval), { cacheDir, split: 'test' });
    metrics = evaluateModel(model, evaluation, options.normalisation, basename(args.eval));
    printer.line(`test accuracy ${(metrics.accuracy * 100).toFixed(2)}% on ${metrics.n} images`);
  }
  const wallTimeSec = (performance.now() - started) / 1000;
  const last = result.history.at(-1);
  const card: ModelCard = {
    parent: null,
    createdAt: new Date().toISOString(),
    labels: [...LABELS],
    architecture: { ...options.architecture, parameters: model.countParams(), inputShape: [...INPUT_SHAPE] },
    normalisation: options.normalisation,
    preprocessVersion: PREPROCESS_VERSION,
    training: {
      recipe: 'train:baseline',
      data: { train: basename(args.data), images: trainIndices.length, validation: validationIndices.length },
      augmentation: { randomCropPadding: 4, padding: 'reflect', horizontalFlip: true },
      epochs: options.epochs,
      batchSize: options.batchSize,
      optimizer: { name: 'sgd-nesterov', momentum: options.momentum, weightDecay: options.weightDecay },
      schedule: options.schedule,
      labelSmoothing: options.labelSmoothing,
      seed,
      backend: result.backend,
      backendSkipped: result.backendSkipped,
      threads: result.threads,
      trainImagesPerSec: Math.round(result.imagesPerSec),
      wallTimeSec: Math.round(wallTimeSec),
      trainingWallTimeSec: Math.round(result.wallTimeSec),
      resumedFromEpoch: result.resumedFromEpoch,
      validationAccuracy: last?.validationAccuracy ?? null,
      history: result.history,
    },
    metrics,
    sizeBytes: files.modelJson.length + files.weightsBin.length,
  };
  await writeAtomically(join(out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  printer.line(`wrote ${out} (backend ${backend.name}, wall time ${Math.round(wallTimeSec)} s)`);
  console.log(
    JSON.stringify({
      accuracy: metrics?.accuracy ?? null,
      validationAccuracy: last?.validationAccuracy ?? null,
      wallTimeSec: Math.round(wallTimeSec),
      trainImagesPerSec: Math.round(result.imagesPerSec),
      threads: result.threads,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (process.env.DEBUG ? error.stack : error.message) : error);
    process.exit(1);
  },
);
