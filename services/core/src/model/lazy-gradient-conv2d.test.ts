// Tests of LazyGradientConv2D: the same outputs and gradients as the standard Conv2D layer, no
// gradient for an input that is not differentiated, and the standard saved format.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError, seededValues, startWasmAndCpu } from '../../test/tf-backends.js';
import { createModel } from './architecture.js';
import { LazyGradientConv2D, lazyGradientConv2d } from './lazy-gradient-conv2d.js';
import { modelFromFiles, modelToFiles } from './model-files.js';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  await startWasmAndCpu();
});

/** The layer's output and the gradients of sum(output * upstream) wrt the input and the kernel. */
function outputsAndGradients(layer: tf.layers.Layer, x: tf.Tensor4D): Float32Array[] {
  return tf.tidy(() => {
    const y = layer.apply(x) as tf.Tensor;
    const upstream = tf.tensor(seededValues(3, y.size), y.shape);
    const kernel = layer.trainableWeights[0]!.read() as tf.Variable;
    const loss = () => tf.sum<tf.Scalar>(tf.mul(layer.apply(x) as tf.Tensor, upstream));
    const { grads } = tf.variableGrads(loss, [kernel]);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, upstream)))(x);
    return [y, dx, grads[kernel.name]!].map((t) => t.dataSync() as Float32Array);
  });
}

describe.each(['cpu', 'wasm'])('LazyGradientConv2D on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it.each([
    { strides: 1, padding: 'same' as const, dilationRate: 1 },
    { strides: 2, padding: 'valid' as const, dilationRate: 1 },
    { strides: 2, padding: 'same' as const, dilationRate: 1 },
  ])(
    'when configured as $padding, stride $strides, dilation $dilationRate, then output and both gradients equal the standard layer',
    (options) => {
      const args = {
        filters: 5,
        kernelSize: 3,
        useBias: false,
        kernelInitializer: 'glorotUniform',
        ...options,
      };
      const lazy = lazyGradientConv2d({
        ...args,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      });
      const stock = tf.layers.conv2d({
        ...args,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      });
      const x = tf.tensor4d(seededValues(2, 2 * 9 * 9 * 4), [2, 9, 9, 4]);
      const expected = outputsAndGradients(stock, x);
      outputsAndGradients(lazy, x).forEach((values, i) => {
        expect(relativeError(values, expected[i]!), `output ${i}`).toBeLessThanOrEqual(TOLERANCE);
      });
      x.dispose();
    },
  );

  it('when a training step differentiates the weights only, then no gradient is computed for the images', async () => {
    const model = createModel({ name: 'resnet9', width: 4 }, 1);
    const x = tf.tensor4d(seededValues(4, 2 * 32 * 32 * 3), [2, 32, 32, 3]);
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const info = await tf.profile(() =>
      tf.tidy(() => {
        const loss = () => tf.sum<tf.Scalar>(model.apply(x, { training: true }) as tf.Tensor);
        tf.variableGrads(loss, weights);
      }),
    );
    const convolutions = model.layers.filter((layer) => layer instanceof LazyGradientConv2D).length;
    expect(convolutions).toBe(8);
    const inputGradients = info.kernels.filter((k) => k.name === 'Conv2DBackpropInput');
    // Every convolution but the first passes a gradient on to the layer before it.
    expect(inputGradients).toHaveLength(convolutions - 1);
    expect(inputGradients.some((k) => k.inputShapes[0]?.[3] === 4 && k.outputShapes[0]?.[3] === 3)).toBe(
      false,
    );
    x.dispose();
    model.dispose();
  });
});

describe('LazyGradientConv2D saved', () => {
  it('when a model with it is saved, then it reloads as a standard Conv2D with the same outputs', async () => {
    const model = createModel({ name: 'resnet9', width: 4 }, 2);
    const files = await modelToFiles(model);
    const topology = files.modelJson.toString('utf8');
    expect(topology).toContain('"class_name":"Conv2D"');
    expect(topology).not.toContain('LazyGradient');
    const reloaded = await modelFromFiles(files);
    const conv = reloaded.getLayer('prep_conv');
    expect(conv).not.toBeInstanceOf(LazyGradientConv2D);
    expect(conv.getClassName()).toBe('Conv2D');
    const x = tf.tensor4d(seededValues(5, 2 * 32 * 32 * 3), [2, 32, 32, 3]);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (reloaded.predict(x) as tf.Tensor).dataSync();
    expect(relativeError(b, a)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([x]);
    model.dispose();
    reloaded.dispose();
  });
});
