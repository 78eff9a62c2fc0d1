// Chooses and initialises the TensorFlow.js backend: tfjs-node when it loads, else the wasm
// backend with oneDNN convolutions (the native addon, where libdnnl is installed), else wasm with
// the project's training kernels, else the plain JavaScript cpu backend (ML_BACKEND overrides).
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { loadOnednnAddon } from '@visionops/engine-native';
import { createMaxPoolGradient } from './max-pool-gradient.js';
import { createMaxReduceGradient } from './max-reduce-gradient.js';
import { registerOnednnKernels } from './onednn-kernels.js';
import { createReluGradient } from './relu-gradient.js';
import { wasmConvGradientKernels } from './wasm-conv-gradients.js';
import { registerWasmIdentityKernel } from './wasm-identity.js';

export type BackendPreference = 'auto' | 'node' | 'onednn' | 'wasm' | 'cpu';
/** The engine that runs: a TensorFlow.js backend, or (onednn) the wasm backend with oneDNN kernels. */
export type BackendName = 'tensorflow' | 'onednn' | 'wasm' | 'cpu';

/** A candidate engine that was passed over, and why. */
export interface BackendSkip {
  backend: string;
  reason: string;
}

export interface BackendChoice {
  name: BackendName;
  /** Why earlier candidates were passed over, for the start-up log, /ready, /metrics and model cards. */
  skipped: BackendSkip[];
}

const require = createRequire(import.meta.url);
let chosen: Promise<BackendChoice> | undefined;

let gradientsRegistered = false;

/** Replaces (or adds) the wasm kernels and gradients that training needs; idempotent. */
export function registerWasmTrainingKernels(): void {
  for (const config of wasmConvGradientKernels) {
    if (tf.getKernel(config.kernelName, config.backendName)) {
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
  }
  registerWasmIdentityKernel();
  if (!gradientsRegistered) {
    const stock = tf.getGradient(tf.MaxPool);
    if (stock) tf.registerGradient(createMaxPoolGradient(stock));
    const stockRelu = tf.getGradient(tf.Relu);
    if (stockRelu) tf.registerGradient(createReluGradient(stockRelu));
    const stockMax = tf.getGradient(tf.Max);
    if (stockMax) tf.registerGradient(createMaxReduceGradient(stockMax));
    gradientsRegistered = true;
  }
}

async function tryNode(): Promise<void> {
  // tfjs-node registers the "tensorflow" backend as a side effect of loading its native addon.
  require('@tensorflow/tfjs-node');
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node loaded but its backend did not start');
}

/**
 * The OpenMP threads of the native kernels in this thread: ML_NATIVE_THREADS, else every core.
 * Read from the environment, which a worker thread gets from its parent (the trainer gives each
 * data-parallel replica its share of the cores this way).
 */
export function nativeThreads(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env['ML_NATIVE_THREADS'] ?? '');
  return Number.isInteger(value) && value >= 1 ? value : availableParallelism();
}

async function tryOnednn(): Promise<void> {
  const loaded = loadOnednnAddon();
  if (!('addon' in loaded)) throw new Error(`oneDNN addon ${loaded.reason}`);
  loaded.addon.setThreads(nativeThreads());
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
  // After the backend started: it runs the setup of the kernels registered then (binding their
  // wasm functions), and the stock kernels the native ones replace stay usable as fallbacks.
  registerOnednnKernels(loaded.addon);
}

async function tryWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
}

async function tryCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
}

const candidates: Record<BackendPreference, [BackendName, () => Promise<void>][]> = {
  auto: [
    ['tensorflow', tryNode],
    ['onednn', tryOnednn],
    ['wasm', tryWasm],
    ['cpu', tryCpu],
  ],
  node: [['tensorflow', tryNode]],
  onednn: [['onednn', tryOnednn]],
  wasm: [['wasm', tryWasm]],
  cpu: [['cpu', tryCpu]],
};

async function choose(preference: BackendPreference): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  for (const [name, start] of candidates[preference]) {
    try {
      await start();
      await tf.ready();
      return { name, skipped };
    } catch (error) {
      skipped.push({
        backend: name,
        reason: error instanceof Error ? error.message.split('\n')[0]! : String(error),
      });
    }
  }
  const reasons = skipped.map((entry) => `${entry.backend}: ${entry.reason}`).join('; ');
  throw new Error(`no TensorFlow.js backend could start for ML_BACKEND=${preference} (${reasons})`);
}

/**
 * Initialises the backend once per thread; later calls return the same choice. A thread's
 * backend is global state of TensorFlow.js, so the first preference wins.
 */
export function initBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
  chosen ??= choose(preference);
  return chosen;
}
