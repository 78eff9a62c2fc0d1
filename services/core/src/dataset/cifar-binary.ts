// The official CIFAR-10 binary release (`data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`):
// records of 1 label byte and 3072 bytes of planar R, G, B (CHW), converted here to HWC.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '../preprocess.js';
import { NUM_CLASSES } from '../labels.js';
import type { DecodedDataset } from './decoded-dataset.js';

export const CIFAR_RECORD_BYTES = 1 + PIXELS_PER_IMAGE;
export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((batch) => `data_batch_${batch}.bin`);
export const CIFAR_TEST_FILES = ['test_batch.bin'];

export type CifarSplit = 'train' | 'test';

const PLANE = IMAGE_SIZE * IMAGE_SIZE;

/** Planar CHW (RRR..GGG..BBB..) to interleaved HWC (RGBRGB..), one image. */
export function chwToHwc(chw: Uint8Array, hwc: Uint8Array, chwOffset = 0, hwcOffset = 0): void {
  for (let p = 0; p < PLANE; p++) {
    const o = hwcOffset + p * 3;
    hwc[o] = chw[chwOffset + p]!;
    hwc[o + 1] = chw[chwOffset + PLANE + p]!;
    hwc[o + 2] = chw[chwOffset + 2 * PLANE + p]!;
  }
}

/** Interleaved HWC to planar CHW, one image: the inverse of chwToHwc (for writing the format). */
export function hwcToChw(hwc: Uint8Array, chw: Uint8Array, hwcOffset = 0, chwOffset = 0): void {
  for (let p = 0; p < PLANE; p++) {
    const i = hwcOffset + p * 3;
    chw[chwOffset + p] = hwc[i]!;
    chw[chwOffset + PLANE + p] = hwc[i + 1]!;
    chw[chwOffset + 2 * PLANE + p] = hwc[i + 2]!;
  }
}

/** Parses one or more batch files' bytes; throws when a length or a label is not CIFAR-10's. */
export function parseCifarBinary(batches: readonly Uint8Array[]): DecodedDataset {
  for (const batch of batches) {
    if (batch.length % CIFAR_RECORD_BYTES !== 0) {
      throw new Error(
        `not a CIFAR-10 batch: ${batch.length} bytes is not a multiple of ${CIFAR_RECORD_BYTES}`,
      );
    }
  }
  const n = batches.reduce((sum, batch) => sum + batch.length / CIFAR_RECORD_BYTES, 0);
  const images = new Uint8Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  let index = 0;
  for (const batch of batches) {
    for (let at = 0; at < batch.length; at += CIFAR_RECORD_BYTES, index++) {
      const label = batch[at]!;
      if (label >= NUM_CLASSES) throw new Error(`not a CIFAR-10 batch: label ${label} in record ${index}`);
      labels[index] = label;
      chwToHwc(batch, images, at + 1, index * PIXELS_PER_IMAGE);
    }
  }
  return { images, labels, n, skipped: [] };
}

export async function readCifarBinary(files: readonly string[]): Promise<DecodedDataset> {
  return parseCifarBinary(await Promise.all(files.map((file) => readFile(file))));
}

/**
 * The batch files of a split in `dir`, also looking in the `cifar-10-batches-bin/` folder the
 * official archive unpacks to; undefined when they are not all there.
 */
export async function findCifarBinaryFiles(dir: string, split: CifarSplit): Promise<string[] | undefined> {
  const names = split === 'train' ? CIFAR_TRAIN_FILES : CIFAR_TEST_FILES;
  for (const folder of [dir, join(dir, 'cifar-10-batches-bin')]) {
    const files = names.map((name) => join(folder, name));
    const found = await Promise.all(
      files.map((file) =>
        stat(file).then(
          (info) => info.isFile(),
          () => false,
        ),
      ),
    );
    if (found.every(Boolean)) return files;
  }
  return undefined;
}
