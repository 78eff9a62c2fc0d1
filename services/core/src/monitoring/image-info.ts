// The format and pixel size of an encoded image, read from its header alone (no decoding), so the
// prediction log can record what a client sent before preprocessing resized it.
import type { ImageFormat } from '../preprocess.js';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

function jpegSize(input: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < input.length) {
    if (input[at] !== 0xff) return undefined;
    const marker = input[at + 1]!;
    // Fill bytes, and markers without a length (RSTn, SOI, TEM).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) {
      at += 2;
      continue;
    }
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: input.readUInt16BE(at + 5), width: input.readUInt16BE(at + 7) };
    }
    at += 2 + input.readUInt16BE(at + 2);
  }
  return undefined;
}

function webpSize(input: Buffer): { width: number; height: number } | undefined {
  if (input.length < 30) return undefined;
  const chunk = input.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    return { width: input.readUInt16LE(26) & 0x3fff, height: input.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = input.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    return { width: input.readUIntLE(24, 3) + 1, height: input.readUIntLE(27, 3) + 1 };
  }
  return undefined;
}

/** The format and size of a JPEG, PNG, WebP or GIF from its header; undefined for anything else. */
export function imageInfo(input: Buffer): ImageInfo | undefined {
  if (input.length >= 3 && input[0] === 0xff && input[1] === 0xd8 && input[2] === 0xff) {
    const size = jpegSize(input);
    return size && { format: 'jpeg', ...size };
  }
  if (input.length >= 24 && input.readUInt32BE(0) === 0x89504e47 && input.readUInt32BE(4) === 0x0d0a1a0a) {
    return { format: 'png', width: input.readUInt32BE(16), height: input.readUInt32BE(20) };
  }
  const head = input.toString('latin1', 0, 12);
  if ((head.startsWith('GIF87a') || head.startsWith('GIF89a')) && input.length >= 10) {
    return { format: 'gif', width: input.readUInt16LE(6), height: input.readUInt16LE(8) };
  }
  if (head.startsWith('RIFF') && head.slice(8, 12) === 'WEBP') {
    const size = webpSize(input);
    return size && { format: 'webp', ...size };
  }
  return undefined;
}
