// The gradient of ReLU as one native kernel where the oneDNN engine has it: dy where x > 0, else 0.
// The stock gradient is three kernels (step, cast, multiply), each a pass over the activation on
// one wasm thread. Other backends keep the stock gradient.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { RELU_GRAD } from './onednn-kernels.js';

export function createReluGradient(stock: GradConfig): GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      if (Array.isArray(dy) || x.dtype !== 'float32' || !tf.getKernel(RELU_GRAD, tf.getBackend())) {
        return stock.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel<tf.Tensor>(RELU_GRAD, { dy, x }) };
    },
  };
}
