// A faster gradient for tf.max (the model's global max pooling) on the wasm backend: the stock
// gradient masks with equal(x, max), and the wasm Equal kernel (boolean output, then a cast) takes
// about 25 ms for the 128x4x4x128 training batch; 1 - step(max - x) is the same mask (1 where x
// is the maximum, ties included as in the stock gradient) from two fast float kernels.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';

export function createMaxReduceGradient(stock: GradConfig): GradConfig {
  return {
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs: NamedAttrMap) => {
      const [x, y] = saved as [tf.Tensor, tf.Tensor];
      if (tf.getBackend() !== 'wasm' || Array.isArray(dy) || x.dtype !== 'float32') {
        return stock.gradFunc(dy, saved, attrs);
      }
      const axes = tf.util.parseAxisParam(attrs['reductionIndices'] as number | number[], x.shape);
      const kept = tf.backend_util.expandShapeToKeepDim(y.shape, axes);
      return {
        x: () =>
          tf.tidy(() => {
            const isMax = tf.sub(1, tf.step(tf.sub(tf.reshape(y, kept), x)));
            return tf.mul(isMax, tf.reshape(dy, kept));
          }),
      };
    },
  };
}
