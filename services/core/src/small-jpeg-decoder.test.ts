// The 32x32 JPEG fast path must never change a pixel: it is checked against sharp on real CIFAR-10
// images (when the data set is present) and on generated JPEGs of every common kind, and it must
// hand everything it is unsure about back to sharp, including damaged data.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { realDataFile, syntheticPixels } from '@visionops/testkit';
import { iterateClassFolderZip } from './dataset/class-folder-zip.js';
import { decodeImage, decodeWithSharp, ImageDecodeError } from './preprocess.js';
import { decodeSmallJpeg, smallJpegDecoderHeapBytes } from './small-jpeg-decoder.js';

function rawImage(seed: number, width = 32, height = 32) {
  const pixels = new Uint8Array(width * height * 3);
  const tile = syntheticPixels(seed % 10, seed);
  for (let i = 0; i < pixels.length; i++) pixels[i] = tile[i % tile.length]! ^ ((i * 37 + seed) & 0x3f);
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

async function expectSameAsSharp(jpeg: Buffer): Promise<void> {
  const fast = decodeSmallJpeg(jpeg);
  expect(fast, 'the fast path should take this JPEG').toBeDefined();
  expect(Buffer.from(fast!).equals(Buffer.from(await decodeWithSharp(jpeg)))).toBe(true);
}

describe('decodeSmallJpeg', () => {
  const testZip = realDataFile('test.zip');

  it.runIf(testZip)('when given real CIFAR-10 JPEGs, then its pixels equal sharp’s', async () => {
    let checked = 0;
    for await (const item of iterateClassFolderZip(testZip!)) {
      if (!('data' in item)) continue;
      await expectSameAsSharp(item.data);
      if (++checked === 1000) break;
    }
    expect(checked).toBe(1000);
  });

  it.each([
    ['4:2:0, quality 80', { chromaSubsampling: '4:2:0', quality: 80 }],
    ['4:4:4, quality 95', { chromaSubsampling: '4:4:4', quality: 95 }],
    ['4:2:0, quality 20', { chromaSubsampling: '4:2:0', quality: 20 }],
    ['progressive', { progressive: true, quality: 75 }],
    ['optimised Huffman tables', { optimiseCoding: true, quality: 90 }],
  ] as const)(
    'when given a generated 32x32 JPEG (%s), then its pixels equal sharp’s',
    async (_kind, options) => {
      for (let seed = 0; seed < 20; seed++)
        await expectSameAsSharp(await rawImage(seed).jpeg(options).toBuffer());
    },
  );

  it('when the JPEG is not a plain 32x32 colour image, then it leaves it to sharp', async () => {
    const others = [
      await rawImage(1, 64, 64).jpeg().toBuffer(),
      await rawImage(2, 32, 31).jpeg().toBuffer(),
      await rawImage(3).toColourspace('b-w').jpeg().toBuffer(),
      await rawImage(4).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
      await rawImage(5).withIccProfile('p3').jpeg().toBuffer(),
      await rawImage(6).png().toBuffer(),
    ];
    for (const input of others) expect(decodeSmallJpeg(input)).toBeUndefined();
    // decodeImage still decodes them, through sharp (the rotated one comes out rotated).
    const rotated = await decodeImage(others[3]!);
    expect(Buffer.from(rotated).equals(Buffer.from(await decodeWithSharp(others[3]!)))).toBe(true);
  });

  it('when the data is truncated, then it declines, sharp refuses, and the next image still decodes exactly', async () => {
    const good = await rawImage(7).jpeg({ quality: 90 }).toBuffer();
    for (const truncated of [good.subarray(0, good.length - 2), good.subarray(0, 300)]) {
      expect(decodeSmallJpeg(truncated)).toBeUndefined();
      await expect(decodeImage(truncated)).rejects.toBeInstanceOf(ImageDecodeError);
    }
    await expectSameAsSharp(good);
  });

  it('when the entropy-coded data is damaged, then it gives what sharp gives', async () => {
    const good = await rawImage(8).jpeg({ quality: 90 }).toBuffer();
    for (let start = 300; start < good.length - 60; start += 97) {
      const damaged = Buffer.from(good);
      for (let i = start; i < start + 40; i++) damaged[i] = damaged[i]! ^ 0xa5;
      const bySharp = await decodeWithSharp(damaged).catch(() => undefined);
      const fast = decodeSmallJpeg(damaged);
      // Declining is always safe (sharp then decides); decoding must match sharp to the byte.
      if (fast) expect(bySharp && Buffer.from(fast).equals(Buffer.from(bySharp))).toBe(true);
    }
    await expectSameAsSharp(good);
  });

  it('when decoding thousands of images, then the decoder’s heap does not grow', async () => {
    const inputs = await Promise.all([0, 1, 2].map(async (seed) => rawImage(seed).jpeg().toBuffer()));
    const decodeAll = () => {
      for (let i = 0; i < 3000; i++) expect(decodeSmallJpeg(inputs[i % 3]!)).toBeDefined();
    };
    decodeAll();
    const before = smallJpegDecoderHeapBytes();
    expect(before).toBeGreaterThan(0);
    decodeAll();
    // A leak of one 3 KiB output buffer per call would grow the heap by ~9 MiB here.
    expect(smallJpegDecoderHeapBytes()).toBe(before);
  });
});
