import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { imageInfo } from './image-info.js';

const raw = (width: number, height: number, channels: 3 | 4) =>
  sharp(Buffer.alloc(width * height * channels, 90), { raw: { width, height, channels } });

describe('imageInfo', () => {
  test.each([
    ['jpeg', () => raw(50, 37, 3).jpeg().toBuffer()],
    ['jpeg', () => raw(50, 37, 3).jpeg({ progressive: true }).toBuffer()],
    ['png', () => raw(50, 37, 4).png().toBuffer()],
    ['gif', () => raw(50, 37, 3).gif().toBuffer()],
    ['webp', () => raw(50, 37, 3).webp().toBuffer()],
    ['webp', () => raw(50, 37, 3).webp({ lossless: true }).toBuffer()],
    ['webp', () => raw(50, 37, 4).webp({ alphaQuality: 50 }).toBuffer()],
  ])('when a %s of 50x37 is read, then its format and size come from the header', async (format, make) => {
    expect(imageInfo(await make())).toEqual({ format, width: 50, height: 37 });
  });

  test('when the bytes are not an image we take, then there is no answer', () => {
    expect(imageInfo(Buffer.from('hello, not an image'))).toBeUndefined();
    expect(imageInfo(Buffer.from([0xff, 0xd8, 0xff]))).toBeUndefined();
  });
});
