// Builds a normalised float32 training batch from uint8 images with the standard CIFAR-10
// augmentation: pad by 4 (reflect), random 32x32 crop, random horizontal flip.
import { IMAGE_SIZE, PIXELS_PER_IMAGE, normalise, type Normalisation } from '@visionops/core';
import type { Random } from './random.js';

export interface Augmentation {
  /** Padding before the random crop, in pixels (0 disables cropping). */
  cropPadding: number;
  horizontalFlip: boolean;
}

export const STANDARD_AUGMENTATION: Augmentation = { cropPadding: 4, horizontalFlip: true };
export const NO_AUGMENTATION: Augmentation = { cropPadding: 0, horizontalFlip: false };

function reflect(index: number, size: number): number {
  if (index < 0) return -index;
  if (index >= size) return 2 * size - 2 - index;
  return index;
}

/** Copies image `src` into `dst` shifted by (dy, dx) with reflection at the borders, maybe mirrored. */
export function shiftAndFlip(src: Uint8Array, dst: Uint8Array, dy: number, dx: number, flip: boolean): void {
  const size = IMAGE_SIZE;
  for (let y = 0; y < size; y++) {
    const sy = reflect(y + dy, size);
    for (let x = 0; x < size; x++) {
      const sx = reflect((flip ? size - 1 - x : x) + dx, size);
      const s = (sy * size + sx) * 3;
      const d = (y * size + x) * 3;
      dst[d] = src[s]!;
      dst[d + 1] = src[s + 1]!;
      dst[d + 2] = src[s + 2]!;
    }
  }
}

/** Fills `out` (indices.length * 3072 floats, NHWC) with the augmented, normalised images. */
export function buildBatch(
  images: Uint8Array,
  indices: ArrayLike<number>,
  norm: Readonly<Normalisation>,
  augmentation: Augmentation,
  random: Random,
  out: Float32Array = new Float32Array(indices.length * PIXELS_PER_IMAGE),
): Float32Array {
  const scratch = new Uint8Array(PIXELS_PER_IMAGE);
  const pad = augmentation.cropPadding;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    const src = images.subarray(index * PIXELS_PER_IMAGE, (index + 1) * PIXELS_PER_IMAGE);
    const dy = pad > 0 ? Math.floor(random() * (2 * pad + 1)) - pad : 0;
    const dx = pad > 0 ? Math.floor(random() * (2 * pad + 1)) - pad : 0;
    const flip = augmentation.horizontalFlip && random() < 0.5;
    if (dy === 0 && dx === 0 && !flip) {
      normalise(src, norm, out, i * PIXELS_PER_IMAGE);
    } else {
      shiftAndFlip(src, scratch, dy, dx, flip);
      normalise(scratch, norm, out, i * PIXELS_PER_IMAGE);
    }
  }
  return out;
}
