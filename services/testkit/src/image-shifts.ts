// Shifted copies of encoded images for drift tests: grey, or darkened, re-encoded as JPEG.
import sharp from 'sharp';

export function greyJpeg(image: Buffer): Promise<Buffer> {
  return sharp(image).grayscale().jpeg({ quality: 90 }).toBuffer();
}

/** Every pixel value multiplied by `factor` (0.35: a dim room instead of daylight). */
export function darkenedJpeg(image: Buffer, factor: number): Promise<Buffer> {
  return sharp(image).linear(factor, 0).jpeg({ quality: 90 }).toBuffer();
}
