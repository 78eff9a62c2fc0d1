// Data-parallel training over worker threads, one TensorFlow.js engine each: every step, each
// thread computes gradients on its slice of the batch, the coordinator averages them, and every
// thread applies the same update, so the replicas stay identical (wasm is single-threaded; this
// is how training uses more than one core).
import { createHash } from 'node:crypto';
import type { Normalisation } from '@visionops/core';
import type { BackendPreference, BackendSkip } from '@visionops/core/engine';
import type { ArchitectureSpec } from '@visionops/core/model';
import type { Augmentation } from './augment.js';
import { readCheckpoint, writeCheckpoint, type EpochRecord } from './checkpoint.js';
import type { WorkerState } from './protocol.js';
import { createRandom, mixSeed, permutation } from './random.js';
import { ReplicaThread } from './replica-thread.js';
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

/** Averages the non-trainable weights (batch-norm moving statistics) of every replica. */
function mergeStates(states: WorkerState[]): WorkerState {
  const [first] = states;
  if (!first) throw new Error('no replica state');
  const weights = first.weights.map((w, i) => {
    if (first.trainable[i]) return w;
    const mean = new Float32Array(w.length);
    for (const s of states) s.weights[i]!.forEach((v, j) => (mean[j] = mean[j]! + v / states.length));
    return mean;
  });
  return { ...first, weights };
}

function split(indices: Int32Array, parts: number): Int32Array[] {
  const size = Math.ceil(indices.length / parts);
  return Array.from({ length: parts }, (_, k) => indices.subarray(k * size, (k + 1) * size));
}

export async function trainDataParallel(options: TrainOptions, data: TrainingData): Promise<TrainResult> {
  const started = performance.now();
  const key = runKey(options, data);
  const checkpoint = options.checkpointDir ? await readCheckpoint(options.checkpointDir) : undefined;
  const resume = checkpoint && checkpoint.runKey === key ? checkpoint : undefined;
  const replicas = Math.max(1, options.threads);
  const threads = Array.from({ length: replicas }, (_, i) => new ReplicaThread(i, replicas));
  try {
    const images = shared(data.images);
    const labels = shared(data.labels);
    const init = {
      architecture: options.architecture,
      backend: options.backend,
      images,
      labels,
      normalisation: options.normalisation,
      augmentation: options.augmentation,
      labelSmoothing: options.labelSmoothing,
      weightDecay: options.weightDecay,
      momentum: options.momentum,
      seed: options.seed,
      ...(resume
        ? { weights: resume.weights, optimizerState: resume.optimizerState }
        : options.initialWeights
          ? { weights: options.initialWeights }
          : {}),
    };
    const ready = await Promise.all(threads.map((t) => t.request({ type: 'init', init }, 'ready')));
    const { backend, backendSkipped, parameters } = ready[0]!;
    // Identical replicas from the start: everyone takes thread 0's initial weights.
    const initial = (await threads[0]!.request({ type: 'get-state' }, 'state')).state;
    await Promise.all(
      threads.slice(1).map((t) => t.request({ type: 'set-weights', weights: initial.weights }, 'ok')),
    );

    const history: EpochRecord[] = resume ? [...resume.history] : [];
    const firstEpoch = resume ? resume.epoch : 0;
    const perThread = Math.floor(options.batchSize / threads.length);
    const batchSize = perThread * threads.length;
    const batches = Math.floor(data.trainIndices.length / batchSize);
    if (batches < 1)
      throw new Error(`need at least ${batchSize} training images, got ${data.trainIndices.length}`);
    const totalSteps = batches * options.epochs;
    let trainedImages = 0;
    const trainingStarted = performance.now();

    for (let epoch = firstEpoch; epoch < options.epochs; epoch++) {
      const epochStarted = performance.now();
      const order = permutation(data.trainIndices.length, createRandom(mixSeed(options.seed, epoch)));
      let apply: { gradients: Float32Array; learningRate: number } | undefined;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let learningRate = 0;
      for (let batch = 0; batch < batches; batch++) {
        options.signal?.throwIfAborted();
        const results = await Promise.all(
          threads.map((thread, k) => {
            const indices = new Int32Array(perThread);
            for (let i = 0; i < perThread; i++) {
              indices[i] = data.trainIndices[order[batch * batchSize + k * perThread + i]!]!;
            }
            return thread.request(
              { type: 'step', apply, indices, seed: mixSeed(options.seed, epoch, batch, k) },
              'step',
            );
          }),
        );
        const gradients = new Float32Array(results[0]!.result!.gradients.length);
        for (const { result } of results) {
          const r = result!;
          const g = r.gradients;
          for (let i = 0; i < g.length; i++) gradients[i] = gradients[i]! + g[i]! / results.length;
          lossSum += r.loss * r.count;
          correct += r.correct;
          seen += r.count;
        }
        learningRate = learningRateAt(options.schedule, (epoch * batches + batch) / totalSteps);
        apply = { gradients, learningRate };
        trainedImages += batchSize;
        const elapsed = (performance.now() - trainingStarted) / 1000;
        const imagesPerSec = trainedImages / Math.max(elapsed, 1e-9);
        const remainingImages = (totalSteps - (epoch * batches + batch + 1)) * batchSize;
        options.onProgress?.({
          epoch: epoch + 1,
          epochs: options.epochs,
          batch: batch + 1,
          batches,
          loss: lossSum / seen,
          accuracy: correct / seen,
          imagesPerSec,
          etaSec: remainingImages / Math.max(imagesPerSec, 1e-9),
        });
      }
      // Apply the last step's update, then make the moving statistics agree across replicas.
      await Promise.all(
        threads.map((t) => t.request({ type: 'step', apply, indices: new Int32Array(0), seed: 0 }, 'step')),
      );
      const states = (await Promise.all(threads.map((t) => t.request({ type: 'get-state' }, 'state')))).map(
        (r) => r.state,
      );
      const merged = mergeStates(states);
      await Promise.all(
        threads.map((t) => t.request({ type: 'set-weights', weights: merged.weights }, 'ok')),
      );

      let validationLoss: number | null = null;
      let validationAccuracy: number | null = null;
      if (data.validationIndices.length > 0) {
        const parts = split(data.validationIndices, threads.length);
        const evals = await Promise.all(
          threads.map((t, k) => t.request({ type: 'evaluate', indices: parts[k]! }, 'evaluate')),
        );
        const count = evals.reduce((sum, e) => sum + e.count, 0);
        validationAccuracy = evals.reduce((sum, e) => sum + e.correct, 0) / count;
        validationLoss = evals.reduce((sum, e) => sum + e.loss * e.count, 0) / count;
      }
      const seconds = (performance.now() - epochStarted) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: lossSum / seen,
        accuracy: correct / seen,
        validationLoss,
        validationAccuracy,
        learningRate,
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
    const final = mergeStates(
      (await Promise.all(threads.map((t) => t.request({ type: 'get-state' }, 'state')))).map((r) => r.state),
    );
    const trainingSeconds = (performance.now() - trainingStarted) / 1000;
    return {
      state: final,
      history,
      backend,
      backendSkipped,
      parameters,
      threads: threads.length,
      wallTimeSec: (performance.now() - started) / 1000,
      imagesPerSec: trainedImages / Math.max(trainingSeconds, 1e-9),
      resumedFromEpoch: firstEpoch,
    };
  } finally {
    await Promise.all(threads.map((t) => t.close()));
  }
}
