// Unit tests of the shared preprocessing: formats, orientation, channels, refusals, normalisation.
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  CIFAR10_NORMALISATION,
  ImageDecodeError,
  PIXELS_PER_IMAGE,
  decodeImage,
  normalise,
  preprocessImage,
  type ImageDecodeReason,
} from './preprocess.js';

function solid(width: number, height: number, background: string, channels: 3 | 4 = 3) {
  return sharp({ create: { width, height, channels, background } });
}

function pixel(rgb: Uint8Array, x: number, y: number): number[] {
  const at = (y * 32 + x) * 3;
  return [rgb[at]!, rgb[at + 1]!, rgb[at + 2]!];
}

async function expectDecodeError(input: Buffer, reason: ImageDecodeReason, limitInputPixels?: number) {
  const failure = await decodeImage(input, limitInputPixels ? { limitInputPixels } : {}).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ImageDecodeError);
  expect((failure as ImageDecodeError).reason).toBe(reason);
}

describe('decodeImage', () => {
  it.each([
    ['jpeg', (image: Sharp) => image.jpeg()],
    ['png', (image: Sharp) => image.png()],
    ['webp', (image: Sharp) => image.webp()],
    ['gif', (image: Sharp) => image.gif()],
  ])('when given a %s of odd size, then returns 32x32 RGB', async (_format, encode) => {
    const input = await encode(solid(97, 41, '#20a040')).toBuffer();
    const rgb = await decodeImage(input);
    expect(rgb).toBeInstanceOf(Uint8Array);
    expect(rgb.length).toBe(PIXELS_PER_IMAGE);
    // Lossy formats and GIF palettes move colours a little; the colour must survive.
    const [r, g, b] = pixel(rgb, 16, 16);
    expect(Math.abs(r! - 0x20)).toBeLessThan(12);
    expect(Math.abs(g! - 0xa0)).toBeLessThan(12);
    expect(Math.abs(b! - 0x40)).toBeLessThan(12);
  });

  it('when the input is already 32x32, then the pixels are exactly the decoded ones', async () => {
    const raw = Buffer.alloc(PIXELS_PER_IMAGE);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + (i >> 5)) % 256;
    const png = await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toBuffer();
    expect(Buffer.from(await decodeImage(png)).equals(raw)).toBe(true);
  });

  it('when the JPEG has EXIF orientation 6, then the image comes out rotated', async () => {
    // Stored 40x20 with red on the left and blue on the right; orientation 6 displays it turned
    // 90 degrees clockwise, 20x40 with red on top and blue below.
    const blueHalf = await solid(20, 20, '#0000ff').png().toBuffer();
    const input = await solid(40, 20, '#ff0000')
      .composite([{ input: blueHalf, left: 20, top: 0 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const rgb = await decodeImage(input);
    const [topR, , topB] = pixel(rgb, 2, 2);
    const [bottomR, , bottomB] = pixel(rgb, 2, 29);
    expect(topR).toBeGreaterThan(200);
    expect(topB).toBeLessThan(60);
    expect(bottomB).toBeGreaterThan(200);
    expect(bottomR).toBeLessThan(60);
  });

  it('when the image is grayscale, then it has 3 equal channels', async () => {
    const input = await solid(50, 50, '#808080').toColourspace('b-w').png().toBuffer();
    expect((await sharp(input).metadata()).channels).toBe(1);
    const rgb = await decodeImage(input);
    expect(rgb.length).toBe(PIXELS_PER_IMAGE);
    expect(pixel(rgb, 5, 5)).toEqual([128, 128, 128]);
  });

  it('when the image has transparency, then it is flattened on white to 3 channels', async () => {
    const input = await solid(33, 33, '#ff000000', 4).png().toBuffer();
    const rgb = await decodeImage(input);
    expect(rgb.length).toBe(PIXELS_PER_IMAGE);
    expect(pixel(rgb, 10, 10)).toEqual([255, 255, 255]);
  });

  it('when a GIF is animated, then the first frame is used', async () => {
    const red = await solid(10, 10, '#ff0000').png().toBuffer();
    const blue = await solid(10, 10, '#0000ff').png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    expect(pixel(await decodeImage(gif), 16, 16)).toEqual([255, 0, 0]);
  });

  it('when the buffer is empty, then it throws reason empty', async () => {
    await expectDecodeError(Buffer.alloc(0), 'empty');
  });

  it('when the buffer is a text file, then it throws reason not_an_image', async () => {
    await expectDecodeError(Buffer.from('label,file\ncat,0001.jpg\n'), 'not_an_image');
  });

  it('when a JPEG is truncated, then it throws reason corrupt', async () => {
    const jpeg = await solid(300, 200, '#336699').jpeg().toBuffer();
    await expectDecodeError(jpeg.subarray(0, jpeg.length >> 1), 'corrupt');
  });

  it('when the pixel count exceeds the limit, then it throws reason too_many_pixels', async () => {
    const png = await solid(2000, 1000, '#000000').png().toBuffer();
    await expectDecodeError(png, 'too_many_pixels', 1_000_000);
    expect((await decodeImage(png, { limitInputPixels: 2_000_000 })).length).toBe(PIXELS_PER_IMAGE);
  });

  it('when the image is a TIFF or an SVG, then it throws reason unsupported_format', async () => {
    await expectDecodeError(await solid(8, 8, '#000000').tiff().toBuffer(), 'unsupported_format');
    await expectDecodeError(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'unsupported_format');
  });
});

describe('normalise', () => {
  it('when given known bytes, then returns (x/255 - mean) / std per channel', () => {
    const rgb = Uint8Array.from([0, 128, 255, 255, 0, 64]);
    const out = normalise(rgb, CIFAR10_NORMALISATION);
    const { mean, std } = CIFAR10_NORMALISATION;
    const expected = [...rgb].map((value, i) => (value / 255 - mean[i % 3]!) / std[i % 3]!);
    expect(out.length).toBe(6);
    out.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
    expect(out[0]).toBeCloseTo(-0.4914 / 0.247, 5);
  });

  it('when given an output buffer and offset, then writes there and leaves the rest untouched', () => {
    const batch = new Float32Array(2 * PIXELS_PER_IMAGE).fill(7);
    const returned = normalise(
      new Uint8Array(PIXELS_PER_IMAGE),
      CIFAR10_NORMALISATION,
      batch,
      PIXELS_PER_IMAGE,
    );
    expect(returned).toBe(batch);
    expect(batch[PIXELS_PER_IMAGE - 1]).toBe(7);
    expect(batch[PIXELS_PER_IMAGE]).toBeCloseTo(-0.4914 / 0.247, 5);
    expect(() => normalise(new Uint8Array(6), CIFAR10_NORMALISATION, new Float32Array(6), 3)).toThrow(
      RangeError,
    );
  });

  it('when preprocessing an image, then it equals normalise(decodeImage)', async () => {
    const png = await solid(64, 48, '#c08040').png().toBuffer();
    const expected = normalise(await decodeImage(png), CIFAR10_NORMALISATION);
    expect(await preprocessImage(png, CIFAR10_NORMALISATION)).toEqual(expected);
  });
});
