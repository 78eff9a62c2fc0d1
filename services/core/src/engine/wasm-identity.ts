// Identity on the wasm backend without a copy. TensorFlow.js clones (runs Identity on) every
// tensor a gradient saves for the backward pass, expecting a clone to be cheap, as it is on the cpu
// and WebGL backends, which share the data and count one more reference. The stock wasm kernel
// copies it instead: about 350 MB per training step of the shipped model at batch 256. This one
// shares, as the stock wasm Reshape does; strings keep the stock kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

interface WasmBackendRefs {
  incRef(dataId: object): void;
}

/** Marks the kernel, so registering again (from a fresh copy of this module too) changes nothing. */
const SHARES_DATA = 'visionopsSharesData';

export function createWasmIdentityKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (config) => {
    const { x } = config.inputs as { x: TensorInfo };
    if (x.dtype === 'string') {
      if (!stock) throw new Error('no stock wasm Identity kernel for string tensors');
      return stock.kernelFunc(config);
    }
    (config.backend as unknown as WasmBackendRefs).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  Object.defineProperty(kernelFunc, SHARES_DATA, { value: true });
  return { kernelName: tf.Identity, backendName: 'wasm', kernelFunc };
}

/** Puts the sharing Identity in place of the wasm backend's; idempotent. */
export function registerWasmIdentityKernel(): void {
  const current = tf.getKernel(tf.Identity, 'wasm');
  if (current && SHARES_DATA in current.kernelFunc) return;
  if (current) tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(createWasmIdentityKernel(current));
}
