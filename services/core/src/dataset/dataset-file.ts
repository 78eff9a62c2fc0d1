// A DecodedDataset as one binary file (header, skipped list as JSON, images, labels): the decode
// cache on disk, and a compact form for moving decoded sets around (replay and evaluation sets).
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { PIXELS_PER_IMAGE } from '../preprocess.js';
import type { DecodedDataset, SkippedEntry } from './decoded-dataset.js';

const MAGIC = Buffer.from('VODSET01', 'latin1');
const HEADER_BYTES = MAGIC.length + 8;

export function encodeDatasetHeader(dataset: DecodedDataset): Buffer {
  const skipped = Buffer.from(JSON.stringify(dataset.skipped), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header);
  header.writeUInt32LE(dataset.n, MAGIC.length);
  header.writeUInt32LE(skipped.length, MAGIC.length + 4);
  return Buffer.concat([header, skipped]);
}

/** Parses a dataset file's bytes; the images and labels are views into `bytes`, not copies. */
export function decodeDatasetFile(bytes: Uint8Array): DecodedDataset {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buffer.length < HEADER_BYTES || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not a visionops dataset file');
  }
  const n = buffer.readUInt32LE(MAGIC.length);
  const skippedBytes = buffer.readUInt32LE(MAGIC.length + 4);
  const imagesAt = HEADER_BYTES + skippedBytes;
  const labelsAt = imagesAt + n * PIXELS_PER_IMAGE;
  if (buffer.length !== labelsAt + n) throw new Error('dataset file is truncated or has trailing bytes');
  const skipped = JSON.parse(buffer.toString('utf8', HEADER_BYTES, imagesAt)) as SkippedEntry[];
  return {
    images: new Uint8Array(buffer.buffer, buffer.byteOffset + imagesAt, n * PIXELS_PER_IMAGE),
    labels: new Uint8Array(buffer.buffer, buffer.byteOffset + labelsAt, n),
    n,
    skipped,
  };
}

export async function readDatasetFile(path: string): Promise<DecodedDataset> {
  return decodeDatasetFile(await readFile(path));
}

/** Writes atomically (temporary file, then rename), so a reader never sees half a file. */
export async function writeDatasetFile(path: string, dataset: DecodedDataset): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.write(encodeDatasetHeader(dataset));
    await file.write(dataset.images.subarray(0, dataset.n * PIXELS_PER_IMAGE));
    await file.write(dataset.labels.subarray(0, dataset.n));
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
}
