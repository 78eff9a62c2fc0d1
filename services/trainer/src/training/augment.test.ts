import { describe, expect, it } from 'vitest';
import { CIFAR10_NORMALISATION, normalise, PIXELS_PER_IMAGE } from '@visionops/core';
import { buildBatch, NO_AUGMENTATION, shiftAndFlip, STANDARD_AUGMENTATION } from './augment.js';
import { createRandom } from './random.js';

function numbered(): Uint8Array {
  const image = new Uint8Array(PIXELS_PER_IMAGE);
  for (let i = 0; i < image.length; i++) image[i] = i % 251;
  return image;
}

const pixel = (image: Uint8Array, y: number, x: number) =>
  Array.from(image.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));

describe('augmentation', () => {
  it('when there is no shift and no flip, then the image is copied unchanged', () => {
    const src = numbered();
    const dst = new Uint8Array(PIXELS_PER_IMAGE);
    shiftAndFlip(src, dst, 0, 0, false);
    expect(dst).toEqual(src);
  });

  it('when flipped, then column x takes column 31 - x', () => {
    const src = numbered();
    const dst = new Uint8Array(PIXELS_PER_IMAGE);
    shiftAndFlip(src, dst, 0, 0, true);
    expect(pixel(dst, 5, 0)).toEqual(pixel(src, 5, 31));
    expect(pixel(dst, 7, 10)).toEqual(pixel(src, 7, 21));
  });

  it('when shifted past the border, then pixels reflect instead of repeating or going black', () => {
    const src = numbered();
    const dst = new Uint8Array(PIXELS_PER_IMAGE);
    shiftAndFlip(src, dst, -2, 3, false);
    expect(pixel(dst, 0, 0)).toEqual(pixel(src, 2, 3)); // row -2 reflects to row 2
    expect(pixel(dst, 4, 30)).toEqual(pixel(src, 2, 29)); // column 33 reflects to column 29
  });

  it('when no augmentation is asked for, then the batch is exactly the normalised images', () => {
    const images = new Uint8Array(2 * PIXELS_PER_IMAGE);
    images.set(numbered(), PIXELS_PER_IMAGE);
    const batch = buildBatch(images, [1, 0], CIFAR10_NORMALISATION, NO_AUGMENTATION, createRandom(1));
    expect(batch.subarray(0, PIXELS_PER_IMAGE)).toEqual(normalise(numbered(), CIFAR10_NORMALISATION));
    expect(batch.subarray(PIXELS_PER_IMAGE)).toEqual(normalise(new Uint8Array(PIXELS_PER_IMAGE)));
  });

  it('when the seed is the same, then the augmented batch is the same; a new seed changes it', () => {
    const images = numbered();
    const a = buildBatch(images, [0, 0, 0, 0], CIFAR10_NORMALISATION, STANDARD_AUGMENTATION, createRandom(7));
    const b = buildBatch(images, [0, 0, 0, 0], CIFAR10_NORMALISATION, STANDARD_AUGMENTATION, createRandom(7));
    const c = buildBatch(images, [0, 0, 0, 0], CIFAR10_NORMALISATION, STANDARD_AUGMENTATION, createRandom(8));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
