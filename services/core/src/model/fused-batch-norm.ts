// Batch normalisation whose training step has one closed-form gradient instead of the chain of
// moments/tile gradients TensorFlow.js builds (the largest non-convolution cost on wasm). The
// class keeps the standard class name, weights and config, so saved models are plain Keras
// BatchNormalization layers that any TensorFlow.js loads; only training differs.
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from '../engine/onednn-kernels.js';

interface BatchNormInternals {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type BatchNormalizationArgs = Parameters<typeof tf.layers.batchNormalization>[0];
type LayerConstructor = new (args: BatchNormalizationArgs) => tf.layers.Layer;
// tfjs exports the factory, not the class; the class is the factory result's constructor.
const StandardBatchNormalization = tf.layers.batchNormalization({}).constructor as LayerConstructor;

/**
 * y = gamma * (x - mean) / sqrt(var + eps) + beta over the last axis, with batch statistics,
 * and dL/dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * Returns the output and the batch statistics (for the moving averages).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()))
    return nativeBatchNormTraining(x, gamma, beta, epsilon);
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const count = x.size / (x.shape[x.rank - 1] ?? 1);
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const [input, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (tensors: tf.Tensor[]) => void;
    const mean = tf.mean<tf.Tensor1D>(input, axes);
    const centred = tf.sub(input, mean);
    const variance = tf.mean<tf.Tensor1D>(tf.square(centred), axes);
    const invStd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const xHat = tf.mul(centred, invStd);
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([xHat, invStd, g]);
    return {
      value: tf.add(tf.mul(xHat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedXHat, savedInvStd, savedGamma] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
        const dBeta = tf.sum<tf.Tensor1D>(dy, axes);
        const dGamma = tf.sum<tf.Tensor1D>(tf.mul(dy, savedXHat), axes);
        const scale = tf.mul(savedGamma, savedInvStd);
        const dx = tf.mul(
          tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(savedXHat, tf.div(dGamma, count))),
          scale,
        );
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = op(x, gamma, beta);
  if (!stats) throw new Error('batch statistics were not computed');
  return { y, ...stats };
}

/** The same, as two kernels of the oneDNN engine (statistics, output and gradient in native loops). */
function nativeBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const [input, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (tensors: tf.Tensor[]) => void;
    const [y, mean, variance] = tf.engine().runKernel<[tf.Tensor, tf.Tensor1D, tf.Tensor1D]>(
      BATCH_NORM_TRAINING,
      { x: input, gamma: g, beta: b },
      {
        epsilon,
      },
    );
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([input, mean, variance, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedMean, savedVariance, savedGamma] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const inputs = { dy, x: savedX, mean: savedMean, variance: savedVariance, gamma: savedGamma };
        return tf.engine().runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING_GRAD, inputs, { epsilon });
      },
    };
  });
  const y = op(x, gamma, beta);
  if (!stats) throw new Error('batch statistics were not computed');
  return { y, ...stats };
}

export class FusedBatchNormalization extends StandardBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormInternals;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = self.axis === -1 || (input !== undefined && self.axis === input.rank - 1);
    if (kwargs['training'] !== true || !lastAxis || !self.gamma || !self.beta || input === undefined) {
      return super.call(inputs, kwargs);
    }
    const { gamma, beta } = self;
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(
        input,
        gamma.read() as tf.Tensor1D,
        beta.read() as tf.Tensor1D,
        self.epsilon,
      );
      for (const [variable, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - self.momentum)));
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

export function fusedBatchNormalization(args: BatchNormalizationArgs): tf.layers.Layer {
  return new FusedBatchNormalization(args);
}
