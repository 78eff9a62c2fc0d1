// A faster gradient for the 2x2, stride-2 max pooling the model uses, on the wasm backend: the
// stock MaxPoolGrad kernel loops in scalar code; this one is three broadcast XNNPACK ops.
// Where several inputs of a window tie for the maximum, each receives the gradient (the stock
// kernel picks one); real activations essentially never tie. Other pool shapes and backends, and
// the oneDNN engine (whose native MaxPoolGrad kernel the stock gradient calls), keep the stock
// gradient.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';
import { onednnKernelsActive } from './onednn-kernels.js';

function isTwoByTwo(attrs: NamedAttrMap, x: tf.Tensor): boolean {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: unknown;
    dimRoundingMode?: unknown;
  };
  const pair = (value: number | [number, number]) => (Array.isArray(value) ? value : [value, value]);
  const [fh, fw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const [, h, w] = x.shape as [number, number, number, number];
  return (
    x.rank === 4 &&
    fh === 2 &&
    fw === 2 &&
    sh === 2 &&
    sw === 2 &&
    (pad === 'valid' || pad === 'same' || pad === 0) &&
    dimRoundingMode == null &&
    h % 2 === 0 &&
    w % 2 === 0
  );
}

export function createMaxPoolGradient(stock: GradConfig): GradConfig {
  return {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
      if (tf.getBackend() !== 'wasm' || onednnKernelsActive() || !isTwoByTwo(attrs, x) || Array.isArray(dy)) {
        return stock.gradFunc(dy, saved, attrs);
      }
      return {
        x: () =>
          tf.tidy(() => {
            const [n, h, w, c] = x.shape;
            const windows = tf.reshape(x, [n * (h / 2), 2, w / 2, 2, c]);
            const maxima = tf.reshape(y, [n * (h / 2), 1, w / 2, 1, c]);
            const upstream = tf.reshape(dy, [n * (h / 2), 1, w / 2, 1, c]);
            // step(max - x) is 1 below the maximum and 0 at it.
            const isMax = tf.sub(1, tf.step(tf.sub(maxima, windows)));
            return tf.reshape(tf.mul(isMax, upstream), x.shape);
          }),
      };
    },
  };
}
