// A Conv2D layer whose backward pass computes only the gradients training asks for. The standard
// layer runs every convolution through tf.fused.conv2d, whose gradient computes the input's
// gradient and the filter's together; for the first convolution the input is the image, whose
// gradient nobody reads (a whole Conv2DBackpropInput per training step). Without a bias or an
// activation there is nothing to fuse, so this layer calls tf.conv2d, whose registered gradient
// computes each part only when it is needed. Dilated convolutions keep the standard path (neither
// gradient supports dilation in TensorFlow.js). The class keeps the standard class name, weights and
// config, so saved models are plain Keras Conv2D layers, as with FusedBatchNormalization.
import * as tf from '@tensorflow/tfjs';

interface ConvInternals {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: string;
  dataFormat: string;
  dilationRate: [number, number];
  activation: { getClassName(): string } | null;
}

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type LayerConstructor = new (args: Conv2DArgs) => tf.layers.Layer;
// tfjs exports the factory, not the class; the class is the factory result's constructor.
const StandardConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as LayerConstructor;

export class LazyGradientConv2D extends StandardConv2D {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as ConvInternals;
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const plain =
      input?.rank === 4 &&
      !self.bias &&
      self.dataFormat === 'channelsLast' &&
      (self.activation === null || self.activation.getClassName() === 'linear') &&
      (self.padding === 'same' || self.padding === 'valid') &&
      self.dilationRate.every((rate) => rate === 1);
    if (!plain) return super.call(inputs, kwargs);
    return tf.conv2d(
      input as tf.Tensor4D,
      self.kernel.read() as tf.Tensor4D,
      self.strides,
      self.padding as 'same' | 'valid',
      'NHWC',
      self.dilationRate,
    );
  }
}

export function lazyGradientConv2d(args: Conv2DArgs): tf.layers.Layer {
  return new LazyGradientConv2D(args);
}
