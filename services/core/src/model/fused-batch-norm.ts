// Batch normalisation whose training step has one closed-form gradient instead of the chain of
// moments/tile gradients TensorFlow.js builds (the largest non-convolution cost on wasm). The
// class keeps the standard class name, weights and config, so saved models are plain Keras
// BatchNormalization layers that any TensorFlow.js loads; only training differs. On the oneDNN
// engine a normalisation whose only consumer is a ReLU (reluAfter, set by the model's factory)
// applies the ReLU in its own pass and its gradient masks in its own, and the ReLU layer after it,
// seeing an output already rectified, passes it on: relu(relu(u)) = relu(u), with the same gradient.
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
 * and dL/dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)); with `relu`, y is
 * rectified too. Returns the output and the batch statistics (for the moving averages).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu = false,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()))
    return nativeBatchNormTraining(x, gamma, beta, epsilon, relu);
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
  const normalised = op(x, gamma, beta);
  if (!stats) throw new Error('batch statistics were not computed');
  return { y: relu ? tf.relu(normalised) : normalised, ...stats };
}

/** The same, as two kernels of the oneDNN engine (statistics, output and gradient in native loops). */
function nativeBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const [input, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as (tensors: tf.Tensor[]) => void;
    const [y, mean, variance] = tf
      .engine()
      .runKernel<[tf.Tensor, tf.Tensor1D, tf.Tensor1D]>(
        BATCH_NORM_TRAINING,
        { x: input, gamma: g, beta: b },
        { epsilon, relu },
      );
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([input, mean, variance, g, b]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedMean, savedVariance, savedGamma, savedBeta] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const inputs: tf.NamedTensorMap = {
          dy,
          x: savedX,
          mean: savedMean,
          variance: savedVariance,
          gamma: savedGamma,
        };
        // The ReLU's mask is recomputed from x and the normalisation, which needs beta.
        if (relu) inputs['beta'] = savedBeta;
        return tf.engine().runKernel<tf.Tensor[]>(BATCH_NORM_TRAINING_GRAD, inputs, { epsilon });
      },
    };
  });
  const y = op(x, gamma, beta);
  if (!stats) throw new Error('batch statistics were not computed');
  return { y, ...stats };
}

/** Outputs of training-mode normalisations that applied the ReLU after them themselves. */
const rectified = new WeakSet<tf.Tensor>();

export class FusedBatchNormalization extends StandardBatchNormalization {
  /**
   * Set when the layer's only consumer is a ReLU (ReLUAfterNormalization): training on the oneDNN
   * engine then applies the ReLU here. Not part of the config: saved models are unchanged.
   */
  reluAfter = false;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormInternals;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = self.axis === -1 || (input !== undefined && self.axis === input.rank - 1);
    if (kwargs['training'] !== true || !lastAxis || !self.gamma || !self.beta || input === undefined) {
      return super.call(inputs, kwargs);
    }
    const { gamma, beta } = self;
    const relu = this.reluAfter && tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()) !== undefined;
    const output = tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(
        input,
        gamma.read() as tf.Tensor1D,
        beta.read() as tf.Tensor1D,
        self.epsilon,
        relu,
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
    if (relu) rectified.add(output);
    return output;
  }
}

export function fusedBatchNormalization(args: BatchNormalizationArgs): FusedBatchNormalization {
  return new FusedBatchNormalization(args);
}

type ReLUArgs = Parameters<typeof tf.layers.reLU>[0];
const StandardReLU = tf.layers.reLU({}).constructor as new (args: ReLUArgs) => tf.layers.Layer;

/**
 * The standard ReLU layer (same class name and config), which passes on an input that the
 * normalisation before it already rectified (see FusedBatchNormalization.reluAfter).
 */
export class ReLUAfterNormalization extends StandardReLU {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    // A reshape to the same shape shares the data, and so does its gradient (clone's gradient
    // would cast dy, a copy).
    if (input !== undefined && rectified.has(input)) return tf.reshape(input, input.shape);
    return super.call(inputs, kwargs);
  }
}

/**
 * A normalisation followed by a ReLU that is its only consumer: on the oneDNN engine, training
 * runs the pair as one pass forward and one backward.
 */
export function normalisationWithReLU(
  input: tf.SymbolicTensor,
  norm: BatchNormalizationArgs,
  relu: ReLUArgs,
): tf.SymbolicTensor {
  const layer = fusedBatchNormalization(norm);
  layer.reluAfter = true;
  const normalised = layer.apply(input) as tf.SymbolicTensor;
  return new ReLUAfterNormalization(relu).apply(normalised) as tf.SymbolicTensor;
}
