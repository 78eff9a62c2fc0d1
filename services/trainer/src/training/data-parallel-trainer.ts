// Data-parallel training over worker threads, one TensorFlow.js engine each: every step, each
// thread computes gradients on its slice of the batch, the coordinator averages them, and every
// thread applies the same update, so the replicas stay identical (wasm is single-threaded; this
// is how training uses more than one core).
import { createHash } from 'node:crypto';
import type { Normalisation } from '@visionops/core';
import type { BackendPreference, BackendSkip } from '@visionops/core/engine';
import type { ArchitectureSpec } from '@visionops/core/model';
import type { Augmentation } from './augment.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint, type EpochRecord } from './checkpoint.js';
import type { WorkerInit, WorkerState } from './protocol.js';
import { createRandom, mixSeed, permutation } from './random.js';
import { ReplicaGroup, type Update } from './replica-group.js';
import { learningRateAt, type LearningRateSchedule } from './schedule.js';

export interface TrainingData {
  /** n * 3072 uint8 HWC images; copied once into memory shared by every thread. */
  images: Uint8Array;
  labels: Uint8Array;
  trainIndices: Int32Array;
  validationIndices: Int32Array;
}

export interface TrainOptions {
  architecture: ArchitectureSpec;
  backend: BackendPreference;
  threads: number;
  epochs: number;
  batchSize: number;
  schedule: LearningRateSchedule;
  momentum: number;
  weightDecay: number;
  labelSmoothing: number;
  augmentation: Augmentation;
  normalisation: Normalisation;
  seed: number;
  /** Start from these weights (fine-tuning); otherwise a fresh model initialised from `seed`. */
  initialWeights?: Float32Array[];
  /** Write a checkpoint after every epoch here, and resume from it when one matches this run. */
  checkpointDir?: string;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  etaSec: number;
}

export interface TrainResult {
  state: WorkerState;
  history: EpochRecord[];
  backend: string;
  /** Engines passed over, and why. */
  backendSkipped: BackendSkip[];
  parameters: number;
  threads: number;
  wallTimeSec: number;
  /** Training images per second over the epochs this run executed (not resumed ones). */
  imagesPerSec: number;
  resumedFromEpoch: number;
}

function runKey(options: TrainOptions, data: TrainingData): string {
  const { architecture, epochs, batchSize, schedule, momentum, weightDecay, labelSmoothing, seed } = options;
  return createHash('sha256')
    .update(
      JSON.stringify({
        architecture,
        epochs,
        batchSize,
        schedule,
        momentum,
        weightDecay,
        labelSmoothing,
        seed,
      }),
    )
    .update(`${data.trainIndices.length}/${data.validationIndices.length}`)
    .digest('hex')
    .slice(0, 16);
}

function shared(bytes: Uint8Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

function replicaInit(options: TrainOptions, data: TrainingData, resume: Checkpoint | undefined): WorkerInit {
  const start = resume
    ? { weights: resume.weights, optimizerState: resume.optimizerState }
    : options.initialWeights
      ? { weights: options.initialWeights }
      : {};
  return {
    architecture: options.architecture,
    backend: options.backend,
    images: shared(data.images),
    labels: shared(data.labels),
    normalisation: options.normalisation,
    augmentation: options.augmentation,
    labelSmoothing: options.labelSmoothing,
    weightDecay: options.weightDecay,
    momentum: options.momentum,
    seed: options.seed,
    ...start,
  };
}

/** How the training set is cut into steps: whole batches, each split evenly over the replicas. */
interface Batching {
  perReplica: number;
  batchSize: number;
  batches: number;
  totalSteps: number;
}

/** Running figures of one run, for progress reports across epochs. */
interface RunClock {
  trainingStarted: number;
  trainedImages: number;
}

interface EpochFigures {
  lossSum: number;
  correct: number;
  seen: number;
  learningRate: number;
  /** The last step's update, applied when the epoch finishes. */
  last: Update | undefined;
}

/** One epoch of steps: each applies the previous step's update and computes the next one. */
async function trainEpoch(
  replicas: ReplicaGroup,
  epoch: number,
  context: { options: TrainOptions; data: TrainingData; batching: Batching; clock: RunClock },
): Promise<EpochFigures> {
  const { options, data, batching, clock } = context;
  const { perReplica, batchSize, batches, totalSteps } = batching;
  const order = permutation(data.trainIndices.length, createRandom(mixSeed(options.seed, epoch)));
  const figures: EpochFigures = { lossSum: 0, correct: 0, seen: 0, learningRate: 0, last: undefined };
  for (let batch = 0; batch < batches; batch++) {
    options.signal?.throwIfAborted();
    const slices = Array.from({ length: replicas.size }, (_, part) => {
      const indices = new Int32Array(perReplica);
      const first = batch * batchSize + part * perReplica;
      for (let i = 0; i < perReplica; i++) indices[i] = data.trainIndices[order[first + i]!]!;
      return indices;
    });
    const seeds = slices.map((_, part) => mixSeed(options.seed, epoch, batch, part));
    const step = await replicas.step(figures.last, slices, seeds);
    figures.lossSum += step.lossSum;
    figures.correct += step.correct;
    figures.seen += step.count;
    figures.learningRate = learningRateAt(options.schedule, (epoch * batches + batch) / totalSteps);
    figures.last = { gradients: step.gradients, learningRate: figures.learningRate };
    clock.trainedImages += batchSize;
    const elapsed = (performance.now() - clock.trainingStarted) / 1000;
    const imagesPerSec = clock.trainedImages / Math.max(elapsed, 1e-9);
    const remainingImages = (totalSteps - (epoch * batches + batch + 1)) * batchSize;
    options.onProgress?.({
      epoch: epoch + 1,
      epochs: options.epochs,
      batch: batch + 1,
      batches,
      loss: figures.lossSum / figures.seen,
      accuracy: figures.correct / figures.seen,
      imagesPerSec,
      etaSec: remainingImages / Math.max(imagesPerSec, 1e-9),
    });
  }
  return figures;
}

export async function trainDataParallel(options: TrainOptions, data: TrainingData): Promise<TrainResult> {
  const started = performance.now();
  const key = runKey(options, data);
  const checkpoint = options.checkpointDir ? await readCheckpoint(options.checkpointDir) : undefined;
  const resume = checkpoint && checkpoint.runKey === key ? checkpoint : undefined;
  const replicas = new ReplicaGroup(options.threads);
  try {
    const { backend, backendSkipped, parameters } = await replicas.start(replicaInit(options, data, resume));
    const perReplica = Math.floor(options.batchSize / replicas.size);
    const batchSize = perReplica * replicas.size;
    const batches = Math.floor(data.trainIndices.length / batchSize);
    if (batches < 1)
      throw new Error(`need at least ${batchSize} training images, got ${data.trainIndices.length}`);
    const batching: Batching = { perReplica, batchSize, batches, totalSteps: batches * options.epochs };
    const clock: RunClock = { trainingStarted: performance.now(), trainedImages: 0 };
    const history: EpochRecord[] = resume ? [...resume.history] : [];
    const firstEpoch = resume ? resume.epoch : 0;

    for (let epoch = firstEpoch; epoch < options.epochs; epoch++) {
      const epochStarted = performance.now();
      const figures = await trainEpoch(replicas, epoch, { options, data, batching, clock });
      const merged = await replicas.finishEpoch(figures.last);
      const validation =
        data.validationIndices.length > 0 ? await replicas.evaluate(data.validationIndices) : null;
      const seconds = (performance.now() - epochStarted) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: figures.lossSum / figures.seen,
        accuracy: figures.correct / figures.seen,
        validationLoss: validation?.loss ?? null,
        validationAccuracy: validation?.accuracy ?? null,
        learningRate: figures.learningRate,
        seconds,
        imagesPerSec: (batches * batchSize) / seconds,
      };
      history.push(record);
      options.onEpoch?.(record);
      if (options.checkpointDir) {
        await writeCheckpoint(options.checkpointDir, {
          epoch: epoch + 1,
          runKey: key,
          history,
          weights: merged.weights,
          optimizerState: merged.optimizerState,
        });
      }
    }
    const trainingSeconds = (performance.now() - clock.trainingStarted) / 1000;
    return {
      state: await replicas.mergedState(),
      history,
      backend,
      backendSkipped,
      parameters,
      threads: replicas.size,
      wallTimeSec: (performance.now() - started) / 1000,
      imagesPerSec: clock.trainedImages / Math.max(trainingSeconds, 1e-9),
      resumedFromEpoch: firstEpoch,
    };
  } finally {
    await replicas.close();
  }
}
