// One data-parallel training replica, run in a worker thread with its own TensorFlow.js engine:
// computes gradients on its share of each batch and applies the coordinator's averaged update.
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { NUM_CLASSES } from '@visionops/core';
import { initBackend } from '@visionops/core/engine';
import { createModel, momentumOptimizer, setWeightValues } from '@visionops/core/model';
import { buildBatch, NO_AUGMENTATION } from './augment.js';
import type { StepResult, WorkerInit, WorkerRequest, WorkerResponse, WorkerState } from './protocol.js';
import { createRandom } from './random.js';

interface Replica {
  init: WorkerInit;
  model: tf.LayersModel;
  optimizer: tf.MomentumOptimizer;
  trainable: tf.Variable[];
  /** Which trainable variables get weight decay (convolution and dense kernels). */
  decays: boolean[];
  images: Uint8Array;
  labels: Uint8Array;
}

let replica: Replica | undefined;

function flatten(tensors: tf.Tensor[]): Float32Array {
  const total = tensors.reduce((sum, t) => sum + t.size, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync(), offset);
    offset += t.size;
  }
  return out;
}

async function initialise(init: WorkerInit): Promise<WorkerResponse> {
  const backend = await initBackend(init.backend);
  const model = createModel(init.architecture, init.seed);
  if (init.weights) setWeightValues(model, init.weights);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = momentumOptimizer(0, init.momentum, true);
  if (init.optimizerState) {
    // Momentum slots are named after their variable; restoring them needs the variables' names.
    await optimizer.setWeights([
      { name: 'iter', tensor: tf.scalar(0) },
      ...init.optimizerState.map((values, i) => ({
        name: `${trainable[i]!.name}/momentum`,
        tensor: tf.tensor(values, trainable[i]!.shape),
      })),
    ]);
  }
  replica = {
    init,
    model,
    optimizer,
    trainable,
    decays: model.trainableWeights.map((w) => w.originalName.endsWith('kernel')),
    images: new Uint8Array(init.images),
    labels: new Uint8Array(init.labels),
  };
  return {
    type: 'ready',
    backend: backend.name,
    backendSkipped: backend.skipped,
    parameters: model.countParams(),
  };
}

function applyUpdate(r: Replica, gradients: Float32Array, learningRate: number): void {
  r.optimizer.setLearningRate(learningRate);
  tf.tidy(() => {
    const named: { name: string; tensor: tf.Tensor }[] = [];
    let offset = 0;
    r.trainable.forEach((variable, i) => {
      let grad: tf.Tensor = tf.tensor(gradients.subarray(offset, offset + variable.size), variable.shape);
      offset += variable.size;
      if (r.decays[i] && r.init.weightDecay > 0) grad = tf.add(grad, tf.mul(variable, r.init.weightDecay));
      named.push({ name: variable.name, tensor: grad });
    });
    r.optimizer.applyGradients(named);
  });
}

function batchTensors(r: Replica, indices: Int32Array, seed: number, augment: boolean) {
  const pixels = buildBatch(
    r.images,
    indices,
    r.init.normalisation,
    augment ? r.init.augmentation : NO_AUGMENTATION,
    createRandom(seed),
  );
  const labels = new Int32Array(indices.length);
  indices.forEach((index, i) => (labels[i] = r.labels[index]!));
  const x = tf.tensor4d(pixels, [indices.length, 32, 32, 3]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES);
  return { x, y };
}

function computeGradients(r: Replica, indices: Int32Array, seed: number): StepResult {
  let result: StepResult | undefined;
  // The tidy returns nothing: it would walk a returned object for tensors, value by value through
  // the gradient array (see tidyValues in @visionops/core/model).
  tf.tidy(() => {
    const { x, y } = batchTensors(r, indices, seed, true);
    let correct: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = r.model.apply(x, { training: true }) as tf.Tensor;
      // variableGrads disposes everything its function made except the loss: keep the count.
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')));
      return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, logits, undefined, r.init.labelSmoothing);
    }, r.trainable);
    result = {
      gradients: flatten(r.trainable.map((v) => grads[v.name]!)),
      loss: value.dataSync()[0]!,
      correct: correct!.dataSync()[0]!,
      count: indices.length,
    };
  });
  return result!;
}

function evaluate(r: Replica, indices: Int32Array): WorkerResponse {
  let correct = 0;
  let lossSum = 0;
  const batch = 250;
  for (let start = 0; start < indices.length; start += batch) {
    const part = indices.subarray(start, start + batch);
    tf.tidy(() => {
      const { x, y } = batchTensors(r, part, 0, false);
      const logits = r.model.predict(x) as tf.Tensor;
      lossSum += (tf.losses.softmaxCrossEntropy(y, logits).dataSync()[0] ?? 0) * part.length;
      correct += tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')).dataSync()[0]!;
    });
  }
  return { type: 'evaluate', correct, count: indices.length, loss: lossSum / Math.max(1, indices.length) };
}

async function state(r: Replica): Promise<WorkerState> {
  const slots = await r.optimizer.getWeights();
  const byName = new Map(slots.map((slot) => [slot.name, slot.tensor]));
  const optimizerState = r.trainable.map((v) => {
    const slot = byName.get(`${v.name}/momentum`);
    return slot ? (slot.dataSync() as Float32Array).slice() : new Float32Array(v.size);
  });
  // The momentum slots are the optimizer's live variables; only the iteration count is a copy.
  tf.dispose(slots.filter((slot) => slot.name === 'iter').map((slot) => slot.tensor));
  return {
    weights: r.model.weights.map((w) => (w.read().dataSync() as Float32Array).slice()),
    names: r.model.weights.map((w) => w.originalName),
    trainable: r.model.weights.map((w) => w.trainable),
    optimizerState,
  };
}

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  if (request.type === 'init') return initialise(request.init);
  const r = replica;
  if (!r) throw new Error('worker received a request before init');
  switch (request.type) {
    case 'step':
      if (request.apply) applyUpdate(r, request.apply.gradients, request.apply.learningRate);
      return {
        type: 'step',
        result: request.indices.length > 0 ? computeGradients(r, request.indices, request.seed) : null,
      };
    case 'evaluate':
      return evaluate(r, request.indices);
    case 'get-state':
      return { type: 'state', state: await state(r) };
    case 'set-weights':
      setWeightValues(r.model, request.weights);
      return { type: 'ok' };
  }
}

const port = parentPort;
if (!port) throw new Error('training-worker must run in a worker thread');
port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (response) => {
      const transfer = response.type === 'step' && response.result ? [response.result.gradients.buffer] : [];
      port.postMessage(response, transfer as ArrayBuffer[]);
    },
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ type: 'error', message: e.message, stack: e.stack } satisfies WorkerResponse);
    },
  );
});
