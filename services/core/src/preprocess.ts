// The one preprocessing path from image bytes to model input, shared by training, evaluation and
// serving so they can never disagree (no train/serve skew). Tensors are NHWC [n, 32, 32, 3] float32.
import sharp from 'sharp';
import { decodeSmallJpeg } from './small-jpeg-decoder.js';

export const IMAGE_SIZE = 32;
export const IMAGE_CHANNELS = 3;
/** Bytes (and floats) per preprocessed image: 32 * 32 * 3, laid out HWC (RGB interleaved). */
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS;
/** Default ceiling on width*height of an input, so a decompression bomb is refused before decoding. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 50_000_000;
/** Bump whenever decodeImage's output changes for some input: decoded-dataset caches depend on it. */
export const PREPROCESS_VERSION = 1;

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export type ImageDecodeReason =
  'empty' | 'not_an_image' | 'unsupported_format' | 'corrupt' | 'too_many_pixels';

/** The input is not an image we accept; always the caller's data, never our fault (HTTP 415). */
export class ImageDecodeError extends Error {
  constructor(
    readonly reason: ImageDecodeReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

export interface DecodeOptions {
  /** Refuse inputs whose width*height exceeds this (default 50 megapixels). */
  limitInputPixels?: number;
}

export interface Normalisation {
  /** Per-channel (R, G, B) mean and standard deviation of pixels scaled to [0, 1]. */
  mean: [number, number, number];
  std: [number, number, number];
}

export const CIFAR10_NORMALISATION: Readonly<Normalisation> = Object.freeze<Normalisation>({
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
});

// Only the formats promised by the API are handed to libvips: sniffing the magic bytes first keeps
// SVG, PDF, TIFF and friends (larger parsers, more attack surface) away from the decoder.
function sniffFormat(input: Buffer): ImageFormat | undefined {
  if (input.length >= 3 && input[0] === 0xff && input[1] === 0xd8 && input[2] === 0xff) return 'jpeg';
  if (input.length >= 8 && input.readUInt32BE(0) === 0x89504e47 && input.readUInt32BE(4) === 0x0d0a1a0a) {
    return 'png';
  }
  const head = input.toString('latin1', 0, 12);
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'gif';
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

// Recognised image formats we refuse on purpose get 'unsupported_format' so the message can say
// which formats to send instead; anything else is 'not_an_image'.
function startsWith(input: Buffer, hex: string): boolean {
  const signature = Buffer.from(hex, 'hex');
  return input.subarray(0, signature.length).equals(signature);
}

const OTHER_IMAGE_SIGNATURES: readonly [string, (input: Buffer) => boolean][] = [
  ['TIFF', (input) => startsWith(input, '49492a00') || startsWith(input, '4d4d002a')],
  ['BMP', (input) => startsWith(input, '424d')],
  ['HEIF/AVIF', (input) => /^ftyp(avif|avis|heic|heix|mif1|msf1)/.test(input.toString('latin1', 4, 12))],
  ['JPEG 2000', (input) => startsWith(input, '0000000c6a5020200d0a870a')],
  ['JPEG XL', (input) => startsWith(input, 'ff0a') || startsWith(input, '0000000c4a584c20')],
  ['PDF', (input) => input.toString('latin1', 0, 5) === '%PDF-'],
  ['SVG', (input) => /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg/i.test(input.toString('utf8', 0, 512))],
];

function unsupportedFormatName(input: Buffer): string | undefined {
  return OTHER_IMAGE_SIGNATURES.find(([, matches]) => matches(input))?.[0];
}

function decodeFailure(error: unknown): ImageDecodeError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new ImageDecodeError('too_many_pixels', `image is too large: ${message}`, { cause: error });
  }
  return new ImageDecodeError('corrupt', `image could not be decoded: ${message}`, { cause: error });
}

/**
 * Decodes a JPEG, PNG, WebP or GIF (first frame) of any size into 32x32 RGB, HWC uint8 (3072 bytes).
 * EXIF orientation is applied. Transparency is flattened onto white, because a cut-out object is
 * seen on a light page, and the colour hidden under transparent pixels is arbitrary (often black).
 * A 32x32 input is not resampled: its pixels come out exactly as decoded.
 */
export async function decodeImage(input: Buffer, options: DecodeOptions = {}): Promise<Uint8Array> {
  if (input.length === 0) throw new ImageDecodeError('empty', 'the image is empty (0 bytes)');
  if (!sniffFormat(input)) {
    const other = unsupportedFormatName(input);
    throw other
      ? new ImageDecodeError(
          'unsupported_format',
          `${other} images are not supported; send JPEG, PNG, WebP or GIF`,
        )
      : new ImageDecodeError('not_an_image', 'the file is not a JPEG, PNG, WebP or GIF image');
  }
  // Bit-identical to sharp for the plain 32x32 JPEGs it takes, at a fraction of the CPU.
  const fast =
    (options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS) >= IMAGE_SIZE * IMAGE_SIZE
      ? decodeSmallJpeg(input)
      : undefined;
  return fast ?? decodeWithSharp(input, options);
}

/** decodeImage's general path, for any format and size; exported so tests can compare the two. */
export async function decodeWithSharp(input: Buffer, options: DecodeOptions = {}): Promise<Uint8Array> {
  try {
    const { data, info } = await sharp(input, {
      // 'error' rather than the default 'warning': truncated data is refused, yet the benign
      // warnings many real cameras and encoders trigger do not reject a usable photo.
      failOn: 'error',
      limitInputPixels: options.limitInputPixels ?? DEFAULT_LIMIT_INPUT_PIXELS,
      pages: 1,
    })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'cover', position: 'centre' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (data.length !== PIXELS_PER_IMAGE || info.channels !== IMAGE_CHANNELS) {
      throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (error) {
    throw decodeFailure(error);
  }
}

/**
 * Writes (value / 255 - mean) / std for every byte of `rgb` (HWC, any number of whole pixels) into
 * `out` at `offset`, so many images can be packed into one batch buffer without copies.
 */
export function normalise(
  rgb: Uint8Array,
  norm: Readonly<Normalisation> = CIFAR10_NORMALISATION,
  out: Float32Array = new Float32Array(rgb.length),
  offset = 0,
): Float32Array {
  if (rgb.length % IMAGE_CHANNELS !== 0) throw new RangeError('rgb length must be a multiple of 3');
  if (offset < 0 || offset + rgb.length > out.length) throw new RangeError('output buffer too small');
  // One multiply-add per value: x * scale + shift == (x / 255 - mean) / std.
  const [s0, s1, s2] = norm.std.map((std) => 1 / (255 * std)) as [number, number, number];
  const [h0, h1, h2] = norm.mean.map((mean, c) => -mean / norm.std[c]!) as [number, number, number];
  for (let i = 0, o = offset; i < rgb.length; i += 3, o += 3) {
    out[o] = rgb[i]! * s0 + h0;
    out[o + 1] = rgb[i + 1]! * s1 + h1;
    out[o + 2] = rgb[i + 2]! * s2 + h2;
  }
  return out;
}

/** decodeImage then normalise: the model input for one image, Float32Array of 32*32*3 (HWC). */
export async function preprocessImage(
  input: Buffer,
  norm: Readonly<Normalisation> = CIFAR10_NORMALISATION,
  options: DecodeOptions = {},
): Promise<Float32Array> {
  return normalise(await decodeImage(input, options), norm);
}
