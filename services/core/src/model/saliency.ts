// Saliency maps: where in the 32x32 input one class's logit comes from, by integrated gradients or
// by SmoothGrad, both from the gradient of that logit with respect to the input pixels over a few
// copies of the image (points on a path, or noisy copies), run as one batch.
import * as tf from '@tensorflow/tfjs';
import { SALIENCY_SIZE, type SaliencyMethod } from '../explanation.js';
import { NUM_CLASSES } from '../labels.js';
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import { tidyValues } from './tensor-values.js';

const CHANNELS = 3;
const POSITIONS = SALIENCY_SIZE * SALIENCY_SIZE;

export interface SaliencyOptions {
  method: SaliencyMethod;
  /** Path steps (integrated gradients) or noisy copies (SmoothGrad) per image. */
  samples: number;
  /** SmoothGrad's noise as a share of each image's value range. */
  noise: number;
}

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

/** Gradients of each copy's chosen logit with respect to that copy, `count * copies` images. */
function chosenLogitGradients(
  model: tf.LayersModel,
  batchInput: Float32Array,
  copiesPerImage: number,
  classes: readonly number[],
): Float32Array {
  const batch = classes.length * copiesPerImage;
  const selector = new Float32Array(batch * NUM_CLASSES);
  classes.forEach((c, i) => {
    for (let s = 0; s < copiesPerImage; s++) selector[(i * copiesPerImage + s) * NUM_CLASSES + c] = 1;
  });
  return tidyValues(() => {
    const choose = tf.tensor2d(selector, [batch, NUM_CLASSES]);
    // The sum of each copy's chosen logit: in inference mode copies do not interact, so its
    // gradient with respect to a copy is that copy's own logit's.
    const chosenLogits = (x: tf.Tensor) =>
      tf.sum(tf.mul(model.apply(x, { training: false }) as tf.Tensor, choose));
    const input = tf.tensor4d(batchInput, [batch, SALIENCY_SIZE, SALIENCY_SIZE, CHANNELS]);
    return tf.grad(chosenLogits)(input);
  });
}

function checkArguments(count: number, classes: readonly number[], samples: number): void {
  if (!Number.isInteger(samples) || samples < 1) throw new Error('samples must be a positive integer');
  if (classes.length !== count) throw new Error('one class per image is needed');
}

/**
 * One 32x32 saliency map per image (row-major, non-negative, not rescaled) for the logit of
 * `classes[i]`. `input` holds `count` normalised 32x32x3 images (NHWC); the model emits logits.
 * All copies of all images run as one batch.
 */
export function smoothGradSaliency(
  model: tf.LayersModel,
  input: Float32Array,
  count: number,
  classes: readonly number[],
  options: SmoothGradOptions,
): Float32Array[] {
  const { samples } = options;
  checkArguments(count, classes, samples);
  const gradients = chosenLogitGradients(model, noisyCopies(input, count, options), samples, classes);
  return Array.from({ length: count }, (_, i) => {
    const map = new Float32Array(POSITIONS);
    for (let s = 0; s < samples; s++) {
      const offset = (i * samples + s) * PIXELS_PER_IMAGE;
      for (let p = 0; p < POSITIONS; p++) {
        const g = gradients.subarray(offset + p * CHANNELS, offset + (p + 1) * CHANNELS);
        map[p]! += Math.max(Math.abs(g[0]!), Math.abs(g[1]!), Math.abs(g[2]!)) / samples;
      }
    }
    return map;
  });
}

/**
 * Integrated gradients (Sundararajan et al., 2017) from the all-zero normalised image (the training
 * set's mean colour): the gradient averaged at `steps` points on the straight path from it to the
 * image (midpoint rule), times the image's difference from it, summed over the colour channels, as
 * absolute values. The attributions add up to the logit's change along the path, so a pixel that
 * equals the baseline colour gets none, however sensitive the model is there.
 */
export function integratedGradientsSaliency(
  model: tf.LayersModel,
  input: Float32Array,
  count: number,
  classes: readonly number[],
  steps: number,
): Float32Array[] {
  checkArguments(count, classes, steps);
  const path = new Float32Array(count * steps * PIXELS_PER_IMAGE);
  for (let i = 0; i < count; i++) {
    const image = input.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
    for (let k = 0; k < steps; k++) {
      const alpha = (k + 0.5) / steps;
      path.set(
        image.map((value) => alpha * value),
        (i * steps + k) * PIXELS_PER_IMAGE,
      );
    }
  }
  const gradients = chosenLogitGradients(model, path, steps, classes);
  return Array.from({ length: count }, (_, i) => {
    const map = new Float32Array(POSITIONS);
    for (let p = 0; p < POSITIONS; p++) {
      let attribution = 0;
      for (let ch = 0; ch < CHANNELS; ch++) {
        let gradient = 0;
        for (let k = 0; k < steps; k++)
          gradient += gradients[(i * steps + k) * PIXELS_PER_IMAGE + p * CHANNELS + ch]!;
        attribution += (gradient / steps) * input[i * PIXELS_PER_IMAGE + p * CHANNELS + ch]!;
      }
      map[p] = Math.abs(attribution);
    }
    return map;
  });
}

/** One 32x32 map per image for `classes[i]`, by the chosen method. */
export function saliencyMaps(
  model: tf.LayersModel,
  input: Float32Array,
  count: number,
  classes: readonly number[],
  options: SaliencyOptions,
): Float32Array[] {
  return options.method === 'smoothgrad'
    ? smoothGradSaliency(model, input, count, classes, options)
    : integratedGradientsSaliency(model, input, count, classes, options.samples);
}
