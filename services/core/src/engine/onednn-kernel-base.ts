// What every family of native kernels builds on: the kernel names the addon adds to the wasm
// backend, the parts of that backend the kernels reach into, a tensor's place on its heap, the
// fallback to the kernel registered before, and the counts of what ran where.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { OnednnAddon } from '@visionops/engine-native';

/**
 * Batch normalisation with batch statistics over the last axis, as training runs it: inputs
 * x, gamma, beta; attrs epsilon and relu (a ReLU after it, in the same pass); outputs y, mean,
 * variance. Only the oneDNN engine has it.
 */
export const BATCH_NORM_TRAINING = 'VisionopsBatchNormTraining';
/**
 * Its gradient: inputs dy, x, mean, variance, gamma and, when the forward kernel ran with relu,
 * beta; attrs epsilon; outputs dx, dGamma, dBeta.
 */
export const BATCH_NORM_TRAINING_GRAD = 'VisionopsBatchNormTrainingGrad';
/**
 * One MomentumOptimizer step of one variable in one pass: inputs value, accumulation, gradient
 * (float32, one shape); attrs momentum, learningRate, nesterov; outputs the new value and the new
 * accumulation. Only the oneDNN engine has it (FusedMomentumOptimizer uses it).
 */
export const MOMENTUM_UPDATE = 'VisionopsMomentumUpdate';
/** The gradient of ReLU in one pass: inputs dy, x; output dy where x > 0, else 0. */
export const RELU_GRAD = 'VisionopsReluGrad';

/** The parts of the wasm backend the kernels use. */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

export type KernelCall = Parameters<KernelFunc>[0];

/** The wasm backend a kernel call runs on. */
export function wasmBackendOf(config: KernelCall): WasmBackendInternals {
  return config.backend as unknown as WasmBackendInternals;
}

/** The wasm heap, read after the outputs are allocated: allocating may replace its buffer. */
export function heapOf(backend: WasmBackendInternals): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

/** A tensor's byte offset in the wasm heap, or -1 for an absent optional input. */
export function offsetOf(backend: WasmBackendInternals, info: TensorInfo | undefined): number {
  if (!info) return -1;
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error('tensor is not on the wasm backend');
  return data.memoryOffset;
}

export const isFloat = (...infos: (TensorInfo | undefined)[]) =>
  infos.every((info) => info === undefined || info.dtype === 'float32');

/** Counts of what ran where, for tests and the benchmark. */
export interface OnednnKernelStats {
  native: number;
  fallback: number;
  /** The oneDNN implementation of each convolution shape that ran, e.g. "brg:avx512_core". */
  implementations: Set<string>;
}

export const onednnKernelStats: OnednnKernelStats = { native: 0, fallback: 0, implementations: new Set() };

/** What a family of kernels is built over. */
export interface KernelFamilyContext {
  addon: OnednnAddon;
  /** The kernel registered before under a name, for the cases the addon does not cover. */
  previous: (kernelName: string) => KernelConfig | undefined;
}

/** Runs the kernel registered before `kernelName`'s native one, counted as a fallback. */
export function fallback(context: KernelFamilyContext, kernelName: string, config: KernelCall) {
  const kernel = context.previous(kernelName);
  if (!kernel) throw new Error(`no wasm ${kernelName} kernel to fall back to`);
  onednnKernelStats.fallback++;
  return kernel.kernelFunc(config);
}

/** The wasm backend's registrations of `kernels` (name: function). */
export function onWasm(kernels: Record<string, KernelFunc>): KernelConfig[] {
  return Object.entries(kernels).map(([kernelName, kernelFunc]) => ({
    kernelName,
    backendName: 'wasm',
    kernelFunc,
  }));
}
