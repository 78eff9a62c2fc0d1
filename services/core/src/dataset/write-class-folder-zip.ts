// The inverse of the class-folder readers: labelled 32x32 RGB images as a ZIP with one folder per
// label, each image a lossless PNG (so decoding gives back exactly its pixels). Entries are sorted
// and dated alike, so the same images always make the same bytes (and the same content address).
import sharp from 'sharp';
import yazl from 'yazl';
import { LABELS } from '../labels.js';
import { IMAGE_CHANNELS, IMAGE_SIZE } from '../preprocess.js';

export interface LabelledPixels {
  /** File name without folder or extension; unique in the archive. */
  name: string;
  /** Class index in LABELS order. */
  label: number;
  /** 32x32 RGB, HWC uint8. */
  rgb: Uint8Array;
}

/** One 32x32 RGB input (HWC uint8) as a lossless PNG. */
export function pixelsToPng(rgb: Uint8Array): Promise<Buffer> {
  return sharp(rgb, { raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: IMAGE_CHANNELS } })
    .png()
    .toBuffer();
}

export async function writeClassFolderZip(images: readonly LabelledPixels[]): Promise<Buffer> {
  const sorted = [...images].sort((a, b) => a.label - b.label || a.name.localeCompare(b.name));
  const pngs = await Promise.all(sorted.map((image) => pixelsToPng(image.rgb)));
  const zip = new yazl.ZipFile();
  const mtime = new Date(Date.UTC(2000, 0, 1));
  sorted.forEach((image, i) => {
    zip.addBuffer(pngs[i]!, `${LABELS[image.label]!}/${image.name}.png`, { mtime, compress: false });
  });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
