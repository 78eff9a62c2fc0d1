// The model architecture factory: a small ResNet for 32x32x3 inputs (the "ResNet-9" layout of
// fast CIFAR-10 training, at a width that trains in about an hour on two CPU cores).
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../labels.js';
import { normalisationWithReLU } from './fused-batch-norm.js';
import { lazyGradientConv2d } from './lazy-gradient-conv2d.js';
import { setTestTimeAugmentation, type TestTimeAugmentation } from './test-time-augmentation.js';

export interface ArchitectureSpec {
  name: 'resnet9';
  /** Channels of the first stage; later stages use 2x, 4x and 8x this. */
  width: number;
  /** How the model is served; absent means `none`. Stored in the model's files by createModel. */
  testTimeAugmentation?: TestTimeAugmentation;
}

/** The shipped baseline's architecture (models/baseline): width 24, served with flip test-time augmentation. */
export const DEFAULT_ARCHITECTURE: ArchitectureSpec = {
  name: 'resnet9',
  width: 24,
  testTimeAugmentation: 'flip',
};

export const INPUT_SHAPE = [32, 32, 3] as const;

// Weight decay is applied by the optimizer step (decoupled), not as a loss regulariser, so the
// saved topology carries no training-only settings.
function convBlock(
  input: tf.SymbolicTensor,
  filters: number,
  name: string,
  seeds: () => number,
  pool: boolean,
): tf.SymbolicTensor {
  let x = lazyGradientConv2d({
    filters,
    kernelSize: 3,
    padding: 'same',
    useBias: false,
    kernelInitializer: tf.initializers.heNormal({ seed: seeds() }),
    name: `${name}_conv`,
  }).apply(input) as tf.SymbolicTensor;
  if (pool) x = tf.layers.maxPooling2d({ poolSize: 2, name: `${name}_pool` }).apply(x) as tf.SymbolicTensor;
  return normalisationWithReLU(
    x,
    { momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` },
    { name: `${name}_relu` },
  );
}

function residual(input: tf.SymbolicTensor, filters: number, name: string, seeds: () => number) {
  const a = convBlock(input, filters, `${name}_a`, seeds, false);
  const b = convBlock(a, filters, `${name}_b`, seeds, false);
  return tf.layers.add({ name: `${name}_add` }).apply([input, b]) as tf.SymbolicTensor;
}

/**
 * Builds an untrained model, initialised reproducibly from `seed`; its outputs are logits
 * (softmax is applied by the caller).
 */
export function createModel(spec: ArchitectureSpec = DEFAULT_ARCHITECTURE, seed = 1): tf.LayersModel {
  const w = spec.width;
  let next = seed;
  const seeds = () => (next = (next * 1103515245 + 12345) % 2147483648);
  const input = tf.input({ shape: [...INPUT_SHAPE], name: 'image' });
  let x = convBlock(input, w, 'prep', seeds, false);
  x = convBlock(x, 2 * w, 'layer1', seeds, true);
  x = residual(x, 2 * w, 'res1', seeds);
  x = convBlock(x, 4 * w, 'layer2', seeds, true);
  x = convBlock(x, 8 * w, 'layer3', seeds, true);
  x = residual(x, 8 * w, 'res3', seeds);
  x = tf.layers.globalMaxPooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const dense = tf.layers
    .dense({
      units: NUM_CLASSES,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seeds() }),
      name: 'dense',
    })
    .apply(x) as tf.SymbolicTensor;
  // A fixed 1/8 scale on the logits (as in the fast ResNet-9 recipe) keeps them small early in
  // training, so high learning rates do not saturate the softmax.
  const logits = tf.layers
    .rescaling({ scale: 0.125, offset: 0, name: 'logits' })
    .apply(dense) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name: `${spec.name}_w${w}` });
  if (spec.testTimeAugmentation && spec.testTimeAugmentation !== 'none') {
    setTestTimeAugmentation(model, spec.testTimeAugmentation);
  }
  return model;
}
