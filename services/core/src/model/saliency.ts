// Saliency maps by SmoothGrad (Smilkov et al., 2017): the gradient of one class's logit with respect
// to the input pixels, as absolute values, largest over the colour channels, averaged over noisy
// copies of the image so that the map shows where the model looks rather than gradient noise.
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../labels.js';
import { PIXELS_PER_IMAGE } from '../preprocess.js';

export const SALIENCY_METHOD = 'smoothgrad';
export const SALIENCY_SIZE = 32;
const CHANNELS = 3;
const POSITIONS = SALIENCY_SIZE * SALIENCY_SIZE;

export interface SmoothGradOptions {
  /** Noisy copies per image (1 with noise 0 is the plain input gradient). */
  samples: number;
  /** Standard deviation of the noise as a share of each image's value range (0.1-0.2 in the paper). */
  noise: number;
  /** Seed of the noise, so that an image always gets the same map. */
  seed?: number;
}

/** A small seeded generator (mulberry32) and the Box-Muller transform: reproducible on every backend. */
function gaussians(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** `samples` copies of each normalised image with Gaussian noise, scaled to the image's value range. */
function noisyCopies(input: Float32Array, count: number, options: SmoothGradOptions): Float32Array {
  const { samples, noise } = options;
  const next = gaussians(options.seed ?? 1);
  const copies = new Float32Array(count * samples * PIXELS_PER_IMAGE);
  for (let i = 0; i < count; i++) {
    const image = input.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
    let low = Infinity;
    let high = -Infinity;
    for (const value of image) {
      if (value < low) low = value;
      if (value > high) high = value;
    }
    // A flat image has no range; the noise then follows the normalised pixel scale (about 1).
    const sigma = noise * (high > low ? high - low : 1);
    for (let s = 0; s < samples; s++) {
      const offset = (i * samples + s) * PIXELS_PER_IMAGE;
      for (let p = 0; p < PIXELS_PER_IMAGE; p++) {
        copies[offset + p] = image[p]! + (sigma > 0 ? sigma * next() : 0);
      }
    }
  }
  return copies;
}

/**
 * One 32x32 saliency map per image (row-major, non-negative, not rescaled) for the logit of
 * `classes[i]`. `input` holds `count` normalised 32x32x3 images (NHWC); the model emits logits.
 * All copies of all images run as one batch: in inference mode the images do not interact.
 */
export function smoothGradSaliency(
  model: tf.LayersModel,
  input: Float32Array,
  count: number,
  classes: readonly number[],
  options: SmoothGradOptions,
): Float32Array[] {
  const { samples } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new Error('samples must be a positive integer');
  if (classes.length !== count) throw new Error('one class per image is needed');
  const copies = noisyCopies(input, count, options);
  const batch = count * samples;
  const selector = new Float32Array(batch * NUM_CLASSES);
  for (let i = 0; i < count; i++) {
    for (let s = 0; s < samples; s++) selector[(i * samples + s) * NUM_CLASSES + classes[i]!] = 1;
  }
  const gradients = tf.tidy(() => {
    const choose = tf.tensor2d(selector, [batch, NUM_CLASSES]);
    // The sum of each copy's chosen logit: its gradient with respect to a copy is that copy's own.
    const chosenLogits = (x: tf.Tensor) =>
      tf.sum(tf.mul(model.apply(x, { training: false }) as tf.Tensor, choose));
    const gradient = tf.grad(chosenLogits)(tf.tensor4d(copies, [batch, SALIENCY_SIZE, SALIENCY_SIZE, CHANNELS]));
    return tf.max(tf.abs(gradient), -1).dataSync() as Float32Array;
  });
  const maps: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const map = new Float32Array(POSITIONS);
    for (let s = 0; s < samples; s++) {
      const offset = (i * samples + s) * POSITIONS;
      for (let p = 0; p < POSITIONS; p++) map[p]! += gradients[offset + p]! / samples;
    }
    maps.push(map);
  }
  return maps;
}
