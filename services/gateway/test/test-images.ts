// Images to send to the gateway: real CIFAR-10 JPEGs from test.zip when it is present, synthetic
// PNGs otherwise; plus hostile inputs (truncated, mislabelled, absurd dimensions).
import { iterateClassFolderZip, isSkipped } from '@visionops/core/dataset';
import { NUM_CLASSES } from '@visionops/core';
import { realDataFile, syntheticImage } from '@visionops/testkit';

export interface NamedImage {
  name: string;
  data: Buffer;
  type: string;
}

/** `count` images spread over the classes; real ones when VISIONOPS_TEST_DATA has test.zip. */
export async function sampleImages(count: number): Promise<{ images: NamedImage[]; real: boolean }> {
  const zip = realDataFile('test.zip');
  if (!zip) {
    const images = await Promise.all(
      Array.from({ length: count }, async (_, i) => ({
        name: `synthetic-${i}.png`,
        data: await syntheticImage(i % NUM_CLASSES, i),
        type: 'image/png',
      })),
    );
    return { images, real: false };
  }
  const perClass = Math.ceil(count / NUM_CLASSES);
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  const images: NamedImage[] = [];
  for await (const item of iterateClassFolderZip(zip)) {
    if (isSkipped(item) || taken[item.label]! >= perClass) continue;
    taken[item.label]!++;
    // Multipart file names lose their folders, so the class goes into the name.
    images.push({ name: item.name.replaceAll('/', '-'), data: item.data, type: 'image/jpeg' });
    if (images.length === count) break;
  }
  return { images, real: true };
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A tiny PNG whose header claims width x height pixels: refused before anything is decoded. */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await syntheticImage(0, 0));
  // IHDR is the first chunk: length(4) type(4) at offset 8, width and height at 16 and 20, CRC at 29.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}
