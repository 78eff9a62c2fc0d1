// Inference worker thread: its own TensorFlow.js engine, the model in service and at most one
// staged model. Messages are handled one at a time and a prediction runs synchronously, so a
// commit always falls between two batches: a batch never sees a model change or a disposed model.
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, normalise, PIXELS_PER_IMAGE, type Normalisation } from '@visionops/core';
import { initBackend } from '@visionops/core/engine';
import { modelFromFiles, predictProbabilities, saliencyMaps } from '@visionops/core/model';
import type { FromInferenceWorker, InferenceWorkerData, ToInferenceWorker } from './inference-protocol.js';

interface ServingModel {
  version: string;
  model: tf.LayersModel;
  normalisation: Normalisation;
}

const port = parentPort!;
const { backend, lowPriority } = workerData as InferenceWorkerData;
if (lowPriority) lowerThreadPriority();
let current: ServingModel | undefined;
const staged = new Map<number, ServingModel>();

/**
 * The lowest CPU priority for this thread alone (on Linux a thread id names one thread): nice 19,
 * and the SCHED_IDLE policy (util-linux's chrt), under which any normal thread that wakes up takes
 * the core at once instead of waiting for the niced thread's time slice to end. Threads it starts
 * later (OpenMP's) inherit both.
 */
function lowerThreadPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(threadId, 19);
    spawnSync('chrt', ['--idle', '--pid', '0', String(threadId)], { stdio: 'ignore', timeout: 2000 });
  } catch {
    // Not Linux, or not allowed: the thread keeps the normal priority.
  }
}

function send(message: FromInferenceWorker): void {
  port.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function predict(serving: ServingModel, pixels: Uint8Array, count: number): Float32Array {
  const input = normalise(pixels.subarray(0, count * PIXELS_PER_IMAGE), serving.normalisation);
  return predictProbabilities(serving.model, input, count);
}

/** The probabilities exactly as `predict` gives them, and a saliency map of each top class. */
function explain(
  serving: ServingModel,
  message: Extract<ToInferenceWorker, { type: 'explain' }>,
): { probabilities: Float32Array; saliency: Float32Array[] } {
  const { count } = message;
  const input = normalise(message.pixels.subarray(0, count * PIXELS_PER_IMAGE), serving.normalisation);
  const probabilities = predictProbabilities(serving.model, input, count);
  // The first class on a tie, as the gateway's topClass() picks the label.
  const classes = Array.from({ length: count }, (_, i) => {
    const row = probabilities.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
    return row.indexOf(Math.max(...row));
  });
  // One image at a time: memory stays that of EXPLAIN_SAMPLES copies whatever EXPLAIN_MAX_IMAGES is.
  const saliency = classes.map(
    (c, i) =>
      saliencyMaps(
        serving.model,
        input.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
        1,
        [c],
        message.options,
      )[0]!,
  );
  return { probabilities, saliency };
}

async function prepare(message: Extract<ToInferenceWorker, { type: 'prepare' }>): Promise<void> {
  let model: tf.LayersModel | undefined;
  try {
    model = await modelFromFiles({
      modelJson: Buffer.from(message.modelJson),
      weightsBin: Buffer.from(message.weightsBin),
    });
    const serving = { version: message.version, model, normalisation: message.normalisation };
    // Warm-up: the first prediction compiles kernels and allocates; no request should pay for it.
    predict(serving, new Uint8Array(PIXELS_PER_IMAGE), 1);
    staged.set(message.loadId, serving);
    send({ type: 'prepared', loadId: message.loadId });
  } catch (error) {
    model?.dispose();
    send({ type: 'prepare-failed', loadId: message.loadId, message: messageOf(error) });
  }
}

function handle(message: ToInferenceWorker): void {
  switch (message.type) {
    case 'prepare':
      void prepare(message);
      return;
    case 'commit': {
      const next = staged.get(message.loadId);
      staged.delete(message.loadId);
      if (next) {
        const old = current;
        current = next;
        old?.model.dispose();
      }
      send({ type: 'committed', loadId: message.loadId });
      return;
    }
    case 'abort':
      staged.get(message.loadId)?.model.dispose();
      staged.delete(message.loadId);
      return;
    case 'predict':
    case 'explain': {
      if (!current) {
        send({ type: 'predict-failed', batchId: message.batchId, message: 'no model loaded' });
        return;
      }
      try {
        const started = performance.now();
        const answer =
          message.type === 'explain'
            ? explain(current, message)
            : { probabilities: predict(current, message.pixels, message.count) };
        const busyMs = performance.now() - started;
        // Copied, not transferred: the array may be a view on memory the backend still owns.
        send({ type: 'result', batchId: message.batchId, version: current.version, ...answer, busyMs });
      } catch (error) {
        send({ type: 'predict-failed', batchId: message.batchId, message: messageOf(error) });
      }
      return;
    }
    case 'stats':
      send({
        type: 'stats',
        statsId: message.statsId,
        numTensors: tf.memory().numTensors,
        version: current?.version ?? null,
      });
  }
}

try {
  const choice = await initBackend(backend);
  port.on('message', handle);
  send({ type: 'ready', backend: choice.name, skipped: choice.skipped });
} catch (error) {
  send({ type: 'init-failed', message: messageOf(error) });
}
