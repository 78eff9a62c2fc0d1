// `npm run bench:engine`: forward and training throughput of the shipped model on wasm with the
// project's kernels and on the stock cpu backend, and the stock vs project wasm input-gradient kernel.
// Prints a table, then one JSON line for scripts. Timings are medians after warm-up iterations.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../src/engine/backend.js';
import { NUM_CLASSES } from '../src/labels.js';
import { createModel, DEFAULT_ARCHITECTURE, INPUT_SHAPE } from '../src/model/architecture.js';

const WASM_BATCH = 128;
// The cpu backend runs convolutions in plain JavaScript (a training step of 16 images takes about
// 50 s): smaller batches keep its part under a minute. Throughput is per image, so it compares.
const CPU_FORWARD_BATCH = 16;
const CPU_TRAIN_BATCH = 4;

interface Timing {
  medianMs: number;
  runs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs `work` warmUp times untimed, then `runs` times timed; `work` must wait for its results. */
function time(work: () => void, warmUp: number, runs: number): Timing {
  for (let i = 0; i < warmUp; i++) work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return { medianMs: median(samples), runs };
}

function randomBatch(batch: number) {
  return {
    images: tf.randomNormal<tf.Rank.R4>([batch, ...INPUT_SHAPE], 0, 1, 'float32', 1),
    labels: tf.oneHot(tf.randomUniform<tf.Rank.R1>([batch], 0, NUM_CLASSES, 'int32', 2), NUM_CLASSES),
  };
}

/**
 * Forward (inference) and one training step of the shipped model, as the trainer's replica does
 * it. The two alternate run by run, so load from other processes falls on both alike and their
 * ratio stays meaningful.
 */
function benchModel(batch: { forward: number; train: number }, warmUp: number, runs: number) {
  const model = createModel(DEFAULT_ARCHITECTURE, 1);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.momentum(0.01, 0.9, true);
  const forwardBatch = randomBatch(batch.forward);
  const trainBatch = randomBatch(batch.train);
  const forward = () => tf.tidy(() => void (model.predict(forwardBatch.images) as tf.Tensor).dataSync());
  const train = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            trainBatch.labels,
            model.apply(trainBatch.images, { training: true }) as tf.Tensor,
          ),
        trainable,
      );
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dataSync();
    });
  const samples = { forward: [] as number[], train: [] as number[] };
  for (let round = 0; round < warmUp + runs; round++) {
    for (const [name, work] of [
      ['forward', forward],
      ['train', train],
    ] as const) {
      const started = performance.now();
      work();
      if (round >= warmUp) samples[name].push(performance.now() - started);
    }
  }
  tf.dispose([forwardBatch.images, forwardBatch.labels, trainBatch.images, trainBatch.labels]);
  optimizer.dispose();
  model.dispose();
  return {
    forward: { medianMs: median(samples.forward), runs },
    train: { medianMs: median(samples.train), runs },
  };
}

/** Conv2DBackpropInput of res1's 3x3 convolution (16x16x32 -> 32, 'same') at the training batch. */
function benchInputGradient(): Timing {
  const x: [number, number, number, number] = [WASM_BATCH, 16, 16, 32];
  const dy = tf.randomNormal(x, 0, 1, 'float32', 3);
  const filter = tf.randomNormal([3, 3, 32, 32], 0, 1, 'float32', 4);
  const attrs = {
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
    inputShape: x,
  };
  const timing = time(
    () =>
      tf.tidy(() => {
        tf.engine()
          .runKernel<tf.Tensor>('Conv2DBackpropInput', { dy, filter }, attrs as never)
          .dataSync();
      }),
    1,
    3,
  );
  tf.dispose([dy, filter]);
  return timing;
}

const imagesPerSecond = (batch: number, timing: Timing) => (batch * 1000) / timing.medianMs;

// The stock wasm kernels are set up when the backend starts, so the stock input-gradient kernel
// is taken before the project's kernels replace it.
if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
const stockInputGradient = tf.getKernel('Conv2DBackpropInput', 'wasm');
const stockHasFilterGradient = tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
if (!stockInputGradient) throw new Error('stock wasm has no Conv2DBackpropInput kernel');

tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
tf.registerKernel(stockInputGradient);
const stockKernel = benchInputGradient();
registerWasmTrainingKernels();
const projectKernel = benchInputGradient();

const wasm = benchModel({ forward: WASM_BATCH, train: WASM_BATCH }, 2, 5);

if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
const cpuStarted = performance.now();
const cpu = benchModel({ forward: CPU_FORWARD_BATCH, train: CPU_TRAIN_BATCH }, 1, 2);
const cpuSeconds = (performance.now() - cpuStarted) / 1000;

const result = {
  backend: 'wasm',
  forwardImgPerSec: Math.round(imagesPerSecond(WASM_BATCH, wasm.forward)),
  trainImgPerSec: Math.round(imagesPerSecond(WASM_BATCH, wasm.train)),
  cpuTrainImgPerSec: Number(imagesPerSecond(CPU_TRAIN_BATCH, cpu.train).toFixed(2)),
  trainToForwardRatio: Number((wasm.train.medianMs / wasm.forward.medianMs).toFixed(2)),
};

const rows: [string, string, string, string][] = [
  ['measurement', 'batch', 'median ms', 'images/s'],
  ['wasm + project kernels: forward', `${WASM_BATCH}`, ms(wasm.forward), rate(WASM_BATCH, wasm.forward)],
  ['wasm + project kernels: train step', `${WASM_BATCH}`, ms(wasm.train), rate(WASM_BATCH, wasm.train)],
  ['cpu (stock): forward', `${CPU_FORWARD_BATCH}`, ms(cpu.forward), rate(CPU_FORWARD_BATCH, cpu.forward)],
  ['cpu (stock): train step', `${CPU_TRAIN_BATCH}`, ms(cpu.train), rate(CPU_TRAIN_BATCH, cpu.train)],
  ['Conv2DBackpropInput, stock wasm', `${WASM_BATCH}`, ms(stockKernel), '-'],
  ['Conv2DBackpropInput, project wasm', `${WASM_BATCH}`, ms(projectKernel), '-'],
];

function ms(timing: Timing): string {
  return `${timing.medianMs.toFixed(1)} (n=${timing.runs})`;
}

function rate(batch: number, timing: Timing): string {
  const value = imagesPerSecond(batch, timing);
  return value.toFixed(value < 10 ? 2 : 1);
}

const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
const line = (row: string[]) =>
  row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
console.log(`model ${DEFAULT_ARCHITECTURE.name} width ${DEFAULT_ARCHITECTURE.width}, ${createParamsNote()}`);
console.log(line(rows[0]!));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows.slice(1)) console.log(line(row));
console.log('');
console.log(`train step / forward on wasm: ${result.trainToForwardRatio}x`);
console.log(
  `wasm train vs cpu train (images/s): ${(result.trainImgPerSec / result.cpuTrainImgPerSec).toFixed(1)}x`,
);
console.log(
  `Conv2DBackpropInput (res1: ${WASM_BATCH}x16x16x32, 3x3, 32->32, same): project kernel ` +
    `${(stockKernel.medianMs / projectKernel.medianMs).toFixed(1)}x faster than stock wasm`,
);
console.log(
  stockHasFilterGradient
    ? 'stock wasm has a Conv2DBackpropFilter kernel'
    : 'stock wasm has no Conv2DBackpropFilter kernel: without the project kernels it cannot train a CNN at all',
);
console.log(`cpu part took ${cpuSeconds.toFixed(0)} s; timings are noisy when other work shares the cores`);
console.log(JSON.stringify(result));

function createParamsNote(): string {
  const model = createModel(DEFAULT_ARCHITECTURE, 1);
  const note = `${model.countParams()} parameters, input ${INPUT_SHAPE.join('x')}`;
  model.dispose();
  return note;
}
