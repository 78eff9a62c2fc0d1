// `npm run bench:engine`: inference and training throughput of the shipped model at batch 128 on
// the engine this machine runs (oneDNN kernels on wasm where the addon is built, else wasm with
// the project's kernels) at 1 and 2 native threads, next to plain wasm and, where /usr/bin/python3
// has torch, the PyTorch reference, whose steps take turns with the project's in the same rounds.
// `--with-cpu` adds the stock cpu backend (about a minute); `--width N` measures another width of
// the same network (the shipped one by default). Inference is the serving forward pass
// (normalisation folded into the convolutions); `trainToForwardRatio` divides a training step by
// the plain forward pass it contains (`plainInferImgPerSec2t`). The 2-thread oneDNN setup runs a
// second time with every convolution direct (`directConv*`), so the gain of the default algorithm
// (Winograd where it pays) is measured in the same rounds. Prints a table, then one JSON line for
// scripts, last.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadOnednnAddon, type OnednnAddon } from '@visionops/engine-native';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { registerWasmTrainingKernels } from '../src/engine/backend.js';
import { onednnKernelStats, registerOnednnKernels } from '../src/engine/onednn-kernels.js';
import { NUM_CLASSES } from '../src/labels.js';
import { inferenceOutputs } from '../src/model/folded-inference.js';
import { momentumOptimizer } from '../src/model/fused-momentum.js';
import {
  createModel,
  DEFAULT_ARCHITECTURE,
  INPUT_SHAPE,
  type ArchitectureSpec,
} from '../src/model/architecture.js';

function architectureFromArgs(): ArchitectureSpec {
  const at = process.argv.indexOf('--width');
  if (at < 0) return DEFAULT_ARCHITECTURE;
  const width = Number(process.argv[at + 1]);
  if (!Number.isInteger(width) || width < 1)
    throw new Error(`--width must be a positive integer, got ${process.argv[at + 1]}`);
  return { name: 'resnet9', width };
}
/** Forward passes and training steps of the plain network (test-time views are the caller's choice). */
const ARCHITECTURE = architectureFromArgs();

const BATCH = 128;
const WARM_UP = 2;
const RUNS = 5;
// The cpu backend runs convolutions in plain JavaScript: small batches keep its part near a minute.
const CPU_FORWARD_BATCH = 16;
const CPU_TRAIN_BATCH = 4;
const PYTHON = '/usr/bin/python3';
const PYTORCH_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'pytorch-resnet9-bench.py');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function randomBatch(batch: number) {
  return {
    images: tf.randomNormal<tf.Rank.R4>([batch, ...INPUT_SHAPE], 0, 1, 'float32', 1),
    labels: tf.oneHot(tf.randomUniform<tf.Rank.R1>([batch], 0, NUM_CLASSES, 'int32', 2), NUM_CLASSES),
  };
}

/**
 * Forward (inference, as the gateway serves it), the plain forward pass (model.predict: the
 * network as a training step computes it, normalisation and ReLU as their own kernels) and one
 * training step of the shipped model, as the trainer's replica does it. Serving has its own copy
 * of the model: a served model's weights do not change between requests, so its folded filters
 * are computed once, as in serving.
 */
function modelWork(forwardSize: number, trainSize: number) {
  const model = createModel({ name: 'resnet9', width: ARCHITECTURE.width }, 1);
  const served = createModel({ name: 'resnet9', width: ARCHITECTURE.width }, 1);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // The trainer's optimizer (one fused step per variable on the oneDNN engine).
  const optimizer = momentumOptimizer(0.01, 0.9, true);
  const forwardBatch = randomBatch(forwardSize);
  const trainBatch = randomBatch(trainSize);
  // The serving forward pass: the whole batch at once, normalisation folded into the convolutions.
  const forward = () => tf.tidy(() => void inferenceOutputs(served, forwardBatch.images).dataSync());
  const plainForward = () =>
    tf.tidy(
      () => void (served.predict(forwardBatch.images, { batchSize: forwardSize }) as tf.Tensor).dataSync(),
    );
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
  const dispose = () => {
    tf.dispose([forwardBatch.images, forwardBatch.labels, trainBatch.images, trainBatch.labels]);
    optimizer.dispose();
    model.dispose();
    served.dispose();
  };
  return { forward, plainForward, train, dispose };
}

type WorkKind = 'forward' | 'plainForward' | 'train';

interface Setup {
  name: string;
  /** Switches kernels and threads to this configuration before each of its runs. */
  enter: () => void;
  /** Times one run of `kind` elsewhere (the PyTorch reference), in ms; else the model work here. */
  time?: (kind: WorkKind) => Promise<number>;
}

/**
 * Runs forward and train for every setup round-robin (run by run), so load from other processes
 * falls on all alike and ratios measured in one run stay meaningful. Returns median ms.
 */
async function benchSetups(setups: Setup[], batch: number, warmUp: number, runs: number) {
  const work = modelWork(batch, batch);
  const samples = new Map(
    setups.map((setup) => [
      setup.name,
      { forward: [] as number[], plainForward: [] as number[], train: [] as number[] },
    ]),
  );
  for (let round = 0; round < warmUp + runs; round++) {
    for (const setup of setups) {
      setup.enter();
      for (const kind of ['forward', 'plainForward', 'train'] as const) {
        // Each turn runs its step twice and keeps the second: caches and threads are warm for
        // every engine alike, whichever ran before it.
        let ms: number;
        if (setup.time) {
          ms = await setup.time(kind);
        } else {
          work[kind]();
          const started = performance.now();
          work[kind]();
          ms = performance.now() - started;
        }
        if (round >= warmUp) samples.get(setup.name)![kind].push(ms);
      }
    }
  }
  work.dispose();
  return new Map(
    [...samples].map(([name, s]) => [
      name,
      { forwardMs: median(s.forward), plainForwardMs: median(s.plainForward), trainMs: median(s.train) },
    ]),
  );
}

/**
 * The PyTorch reference as a process that runs one step per request (the script's --serve
 * mode), so its steps take turns with the project's in the same rounds.
 */
class PytorchReference {
  private readonly waiting: ((line: string) => void)[] = [];
  private lastInferMs = Number.NaN;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly framework: string,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  static async start(env: NodeJS.ProcessEnv): Promise<PytorchReference | { skipped: string }> {
    const child = spawn(PYTHON, [PYTORCH_SCRIPT, String(ARCHITECTURE.width), String(BATCH), '--serve'], {
      env,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve);
      child.once('close', () => resolve(undefined));
      child.once('error', () => resolve(undefined));
    });
    lines.close();
    if (!first?.startsWith('{')) {
      child.kill();
      return { skipped: `reference failed: ${stderr.trim().split('\n').at(-1) ?? 'no answer'}` };
    }
    return new PytorchReference(child, (JSON.parse(first) as { framework: string }).framework);
  }

  private async step(kind: 'train' | 'infer', threads: number): Promise<number> {
    const answer = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.child.stdin.write(`${kind} ${threads} 2\n`);
    const { ms } = JSON.parse(await answer) as { ms: number };
    return ms;
  }

  /** A setup of the round-robin: PyTorch's eval forward pass is its plain one (nothing folded). */
  setup(name: string, threads: number): Setup {
    return {
      name,
      enter: () => {},
      time: async (kind) => {
        if (kind === 'train') return this.step('train', threads);
        if (kind === 'forward') this.lastInferMs = await this.step('infer', threads);
        return this.lastInferMs;
      },
    };
  }

  close(): void {
    this.child.stdin.end();
  }
}

const perSecond = (batch: number, ms: number) => (batch * 1000) / ms;
const round1 = (value: number) => Number(value.toFixed(1));

if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
registerWasmTrainingKernels();
// The policy the bench was started with, before the addon's loader sets its default.
const callerPolicy = process.env['OMP_WAIT_POLICY'];
const loaded = loadOnednnAddon();
const addon: OnednnAddon | undefined = 'addon' in loaded ? loaded.addon : undefined;
let restoreWasm: (() => void) | undefined;
const useWasm = () => {
  restoreWasm?.();
  restoreWasm = undefined;
};
// The addon's default convolution algorithm (auto: Winograd where it pays) and, as an A/B in the
// same rounds, every convolution direct.
const defaultAlgorithm = addon?.setConvAlgorithm('auto') ?? 'auto';
addon?.setConvAlgorithm(defaultAlgorithm);
const useOnednn =
  (threads: number, algorithm: 'auto' | 'direct' | 'winograd' = defaultAlgorithm) =>
  () => {
    if (!addon) return;
    restoreWasm ??= registerOnednnKernels(addon);
    addon.setThreads(threads);
    addon.setConvAlgorithm(algorithm);
  };
const setups: Setup[] = [{ name: 'wasm', enter: useWasm }];
if (addon) {
  setups.push({ name: 'onednn1t', enter: useOnednn(1) }, { name: 'onednn2t', enter: useOnednn(2) });
  if (defaultAlgorithm !== 'direct') setups.push({ name: 'onednn2tDirect', enter: useOnednn(2, 'direct') });
}

// The reference twice: with this process's OpenMP wait policy (the addon's) and with the policy the
// bench was started with (PyTorch's own default when unset); each of its figures is the better of
// the two, so the ratios never flatter the project's engine.
const pytorchEnvironments: [string, NodeJS.ProcessEnv][] = [['pytorch', process.env]];
const { OMP_WAIT_POLICY: _ours, ...callerEnvironment } = process.env;
if (callerPolicy !== process.env['OMP_WAIT_POLICY']) {
  pytorchEnvironments.push([
    'pytorchOwnPolicy',
    callerPolicy === undefined ? callerEnvironment : { ...callerEnvironment, OMP_WAIT_POLICY: callerPolicy },
  ]);
}
const references: PytorchReference[] = [];
let pytorchSkipped: string | undefined;
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) pytorchSkipped = `${PYTHON} has no torch`;
for (const [name, env] of pytorchSkipped ? [] : pytorchEnvironments) {
  const reference = await PytorchReference.start(env);
  if ('skipped' in reference) {
    pytorchSkipped = reference.skipped;
    break;
  }
  references.push(reference);
  setups.push(reference.setup(`${name}1t`, 1), reference.setup(`${name}2t`, 2));
}

const benchStarted = performance.now();
const timings = await benchSetups(setups, BATCH, WARM_UP, RUNS);
const benchSeconds = (performance.now() - benchStarted) / 1000;
for (const reference of references) reference.close();

let cpu: { forwardMs: number; trainMs: number } | undefined;
if (process.argv.includes('--with-cpu')) {
  useWasm();
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not start');
  const work = modelWork(CPU_FORWARD_BATCH, CPU_TRAIN_BATCH);
  const samples = { forward: [] as number[], train: [] as number[] };
  for (let round = 0; round < 3; round++) {
    for (const kind of ['forward', 'train'] as const) {
      const started = performance.now();
      work[kind]();
      if (round > 0) samples[kind].push(performance.now() - started);
    }
  }
  work.dispose();
  cpu = { forwardMs: median(samples.forward), trainMs: median(samples.train) };
}

interface PytorchFigures {
  framework: string;
  train1t: number;
  train2t: number;
  infer1t: number;
  infer2t: number;
}
/** The better of the reference's policies, in images/s. */
function pytorchFigures(): PytorchFigures | { skipped: string } {
  if (pytorchSkipped || references.length === 0) return { skipped: pytorchSkipped ?? 'not run' };
  const best = (threads: 1 | 2, key: 'trainMs' | 'forwardMs') =>
    Math.max(
      ...pytorchEnvironments
        .map(([name]) => timings.get(`${name}${threads}t`))
        .filter((t) => t !== undefined)
        .map((t) => round1(perSecond(BATCH, t[key]))),
    );
  return {
    framework: references[0]!.framework,
    train1t: best(1, 'trainMs'),
    train2t: best(2, 'trainMs'),
    infer1t: best(1, 'forwardMs'),
    infer2t: best(2, 'forwardMs'),
  };
}
const pytorch = pytorchFigures();

const wasm = timings.get('wasm')!;
const one = timings.get('onednn1t') ?? wasm;
const two = timings.get('onednn2t') ?? wasm;
const result: Record<string, string | number | boolean> = {
  engine: addon ? 'onednn' : 'wasm',
  width: ARCHITECTURE.width,
  batch: BATCH,
  trainImgPerSec1t: round1(perSecond(BATCH, one.trainMs)),
  trainImgPerSec2t: round1(perSecond(BATCH, two.trainMs)),
  inferImgPerSec1t: round1(perSecond(BATCH, one.forwardMs)),
  inferImgPerSec2t: round1(perSecond(BATCH, two.forwardMs)),
  // A training step against the forward pass it contains (the plain network, not the folded one).
  trainToForwardRatio: Number((two.trainMs / two.plainForwardMs).toFixed(2)),
  plainInferImgPerSec2t: round1(perSecond(BATCH, two.plainForwardMs)),
  convAlgorithm: defaultAlgorithm,
  wasmTrainImgPerSec: round1(perSecond(BATCH, wasm.trainMs)),
  wasmInferImgPerSec: round1(perSecond(BATCH, wasm.forwardMs)),
};
const direct = timings.get('onednn2tDirect');
if (direct) {
  result['directConvTrainImgPerSec2t'] = round1(perSecond(BATCH, direct.trainMs));
  result['directConvInferImgPerSec2t'] = round1(perSecond(BATCH, direct.forwardMs));
}
if ('reason' in loaded) result['onednnSkipped'] = loaded.reason;
if (cpu) result['cpuTrainImgPerSec'] = Number(perSecond(CPU_TRAIN_BATCH, cpu.trainMs).toFixed(2));
if ('skipped' in pytorch) {
  result['pytorchSkipped'] = pytorch.skipped;
} else {
  Object.assign(result, {
    pytorch: pytorch.framework,
    pytorchTrainImgPerSec1t: pytorch.train1t,
    pytorchTrainImgPerSec2t: pytorch.train2t,
    pytorchInferImgPerSec1t: pytorch.infer1t,
    pytorchInferImgPerSec2t: pytorch.infer2t,
    trainVsPytorch2t: Number((perSecond(BATCH, two.trainMs) / pytorch.train2t).toFixed(2)),
    inferVsPytorch2t: Number((perSecond(BATCH, two.forwardMs) / pytorch.infer2t).toFixed(2)),
  });
}

const rows: string[][] = [
  ['engine', 'threads', 'forward ms', 'infer img/s', 'plain forward ms', 'train ms', 'train img/s'],
];
const threadsOf: Record<string, string> = { wasm: '1', onednn1t: '1', onednn2t: '2', onednn2tDirect: '2' };
const engineOf = (name: string) => {
  if (name === 'onednn2tDirect') return 'wasm + native kernels, direct convolutions';
  if (name.startsWith('onednn')) return `wasm + native kernels (oneDNN, ${defaultAlgorithm} convolutions)`;
  return 'wasm + project kernels';
};
for (const [name, t] of timings) {
  if (name.startsWith('pytorch')) continue;
  rows.push([
    engineOf(name),
    threadsOf[name] ?? '?',
    t.forwardMs.toFixed(1),
    perSecond(BATCH, t.forwardMs).toFixed(0),
    t.plainForwardMs.toFixed(1),
    t.trainMs.toFixed(1),
    perSecond(BATCH, t.trainMs).toFixed(0),
  ]);
}
if (!('skipped' in pytorch)) {
  for (const threads of [1, 2] as const) {
    const infer = threads === 1 ? pytorch.infer1t : pytorch.infer2t;
    const train = threads === 1 ? pytorch.train1t : pytorch.train2t;
    const ms = (rate: number) => ((BATCH * 1000) / rate).toFixed(1);
    // PyTorch's eval forward pass is its plain one: nothing is folded.
    rows.push([
      pytorch.framework,
      `${threads}`,
      ms(infer),
      infer.toFixed(0),
      ms(infer),
      ms(train),
      train.toFixed(0),
    ]);
  }
}
if (cpu) {
  rows.push([
    `cpu (stock; batch ${CPU_FORWARD_BATCH} / ${CPU_TRAIN_BATCH})`,
    '1',
    cpu.forwardMs.toFixed(1),
    perSecond(CPU_FORWARD_BATCH, cpu.forwardMs).toFixed(1),
    '-',
    cpu.trainMs.toFixed(1),
    perSecond(CPU_TRAIN_BATCH, cpu.trainMs).toFixed(2),
  ]);
}

const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
const line = (row: string[]) =>
  row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
const model = createModel({ name: 'resnet9', width: ARCHITECTURE.width }, 1);
console.log(
  `model ${ARCHITECTURE.name} width ${ARCHITECTURE.width}, ${model.countParams()} parameters, ` +
    `batch ${BATCH}, medians of ${RUNS} runs after ${WARM_UP} warm-up rounds`,
);
model.dispose();
console.log(line(rows[0]!));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows.slice(1)) console.log(line(row));
console.log('');
if (addon) {
  console.log(
    `oneDNN ${addon.version()}; implementations: ${[...onednnKernelStats.implementations].join(', ')}`,
  );
  console.log(`native kernel calls: ${onednnKernelStats.native}, fallbacks: ${onednnKernelStats.fallback}`);
} else {
  console.log(`oneDNN kernels skipped: ${'reason' in loaded ? loaded.reason : ''}`);
}
if ('skipped' in pytorch) console.log(`PyTorch reference skipped: ${pytorch.skipped}`);
console.log(
  `OMP_WAIT_POLICY=${process.env['OMP_WAIT_POLICY'] ?? '(unset)'} for the addon; PyTorch figures are the ` +
    `better of its runs with that policy and with ${callerPolicy ?? 'its default'}`,
);
console.log(
  `the rounds took ${benchSeconds.toFixed(0)} s, PyTorch's steps in turn with ours; timings are noisy when ` +
    'other work shares the cores',
);
console.log(JSON.stringify(result));
