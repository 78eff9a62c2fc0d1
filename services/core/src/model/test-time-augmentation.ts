// Test-time augmentation: a model may be served as the average of its class probabilities over
// an image and its mirror image. The choice belongs to the model, not to the server: it is kept in
// the model's own files (model.json's `userDefinedMetadata`), so the gateway, the evaluation gate,
// the drift reference and `npm run evaluate` all compute the same thing for the same version.
import * as tf from '@tensorflow/tfjs';
import { inferenceOutputs } from './folded-inference.js';

/** `flip`: average over the image and its horizontal mirror (2 forward passes per image). */
export type TestTimeAugmentation = 'none' | 'flip';

export const TEST_TIME_AUGMENTATIONS: readonly TestTimeAugmentation[] = ['none', 'flip'];

interface VisionopsMetadata {
  visionops?: { testTimeAugmentation?: unknown };
}

export function isTestTimeAugmentation(value: unknown): value is TestTimeAugmentation {
  return TEST_TIME_AUGMENTATIONS.includes(value as TestTimeAugmentation);
}

/** The augmentation a model is served with; `none` for a model that names none (or one unknown). */
export function testTimeAugmentationOf(model: tf.LayersModel): TestTimeAugmentation {
  const value = (model.getUserDefinedMetadata() as VisionopsMetadata | undefined)?.visionops
    ?.testTimeAugmentation;
  return isTestTimeAugmentation(value) ? value : 'none';
}

export function setTestTimeAugmentation(model: tf.LayersModel, augmentation: TestTimeAugmentation): void {
  const metadata = { ...((model.getUserDefinedMetadata() as VisionopsMetadata | undefined) ?? {}) };
  metadata.visionops = { ...metadata.visionops, testTimeAugmentation: augmentation };
  model.setUserDefinedMetadata(metadata);
}

/**
 * Softmax probabilities of `model` for the NHWC batch `x`, averaged over the model's test-time
 * views. Both views go through one forward pass of twice the batch.
 */
export function servedProbabilities(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor2D {
  const count = x.shape[0];
  // One forward pass for the whole batch, normalisation folded into the convolutions.
  if (testTimeAugmentationOf(model) === 'none') {
    return tf.softmax(inferenceOutputs(model, x) as tf.Tensor2D);
  }
  const both = tf.softmax(inferenceOutputs(model, tf.concat([x, tf.reverse(x, 2)], 0)) as tf.Tensor2D);
  const [plain, mirrored] = tf.split(both, [count, count], 0);
  return tf.mul(tf.add(plain!, mirrored!), 0.5);
}
