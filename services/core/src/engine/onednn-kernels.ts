// Kernels of the wasm backend that run in the native addon (oneDNN convolutions; OpenMP batch
// normalisation, ReLU, max pooling and their gradients, same-shape additions, max reductions) in
// place on the wasm heap: each call passes the heap's ArrayBuffer and the tensors' byte offsets,
// so no tensor is copied. Cases the addon does not cover (NCHW, non-float32, activations other
// than relu, a bias or statistics that are not one value per channel, dilated pooling,
// broadcasting additions, reductions over axes that are not adjacent) keep the kernel that was
// registered before. One file per family: onednn-conv-kernels.ts, onednn-norm-kernels.ts,
// onednn-elementwise-kernels.ts, onednn-pool-kernels.ts; what they share is in
// onednn-kernel-base.ts.
import {
  Add,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedBatchNorm,
  FusedConv2D,
  getKernel,
  Max,
  MaxPool,
  MaxPoolGrad,
  Relu,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs';
import type { OnednnAddon } from '@visionops/engine-native';
import { convolutionKernels } from './onednn-conv-kernels.js';
import { elementwiseKernels } from './onednn-elementwise-kernels.js';
import { normalisationKernels } from './onednn-norm-kernels.js';
import { poolingKernels } from './onednn-pool-kernels.js';

export {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  MOMENTUM_UPDATE,
  onednnKernelStats,
  RELU_GRAD,
  type OnednnKernelStats,
} from './onednn-kernel-base.js';
export { NATIVE_ADD_MIN_ELEMENTS } from './onednn-elementwise-kernels.js';

/** The kernels of the wasm backend that the native ones replace (the others are new names). */
const REPLACED_KERNELS = [
  FusedBatchNorm,
  Conv2D,
  FusedConv2D,
  Conv2DBackpropInput,
  Conv2DBackpropFilter,
  Relu,
  MaxPool,
  MaxPoolGrad,
  Add,
  Max,
];

/**
 * Builds the kernels over `addon`; `previous` gives the kernel each one replaces, used for
 * the cases the addon does not cover.
 */
export function createOnednnKernels(
  addon: OnednnAddon,
  previous: (kernelName: string) => KernelConfig | undefined,
): KernelConfig[] {
  const context = { addon, previous };
  return [
    ...convolutionKernels(context),
    ...normalisationKernels(context),
    ...elementwiseKernels(context),
    ...poolingKernels(context),
  ];
}

let restoreActive: (() => void) | undefined;

/** Whether the native kernels are registered (gradients that bypass a stock kernel check this). */
export function onednnKernelsActive(): boolean {
  return restoreActive !== undefined;
}

/**
 * Registers the oneDNN kernels on the wasm backend in place of the current ones, which stay as
 * the fallback; returns a function that puts the replaced kernels back.
 */
export function registerOnednnKernels(addon: OnednnAddon): () => void {
  // A second registration would take the oneDNN kernels for the ones to fall back to.
  if (restoreActive) return restoreActive;
  const replaced = new Map<string, KernelConfig>();
  for (const name of REPLACED_KERNELS) {
    const current = getKernel(name, 'wasm');
    if (current) replaced.set(name, current);
  }
  const kernels = createOnednnKernels(addon, (name) => replaced.get(name));
  for (const config of kernels) {
    if (replaced.has(config.kernelName)) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  restoreActive = () => {
    restoreActive = undefined;
    for (const config of kernels) {
      unregisterKernel(config.kernelName, 'wasm');
      const old = replaced.get(config.kernelName);
      if (old) registerKernel(old);
    }
  };
  return restoreActive;
}
