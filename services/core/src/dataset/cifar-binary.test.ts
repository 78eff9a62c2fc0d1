// Tests of the CIFAR-10 binary reader on batches generated here (no download).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCifarBinary, syntheticPixels } from '@visionops/testkit';
import {
  CIFAR_RECORD_BYTES,
  findCifarBinaryFiles,
  parseCifarBinary,
  readCifarBinary,
} from './cifar-binary.js';
import { imageAt } from './decoded-dataset.js';

describe('CIFAR-10 binary batches', () => {
  it('when a record stores planes R, G, B, then the image comes out interleaved HWC', () => {
    const record = new Uint8Array(CIFAR_RECORD_BYTES);
    record[0] = 7;
    record.fill(10, 1, 1025); // red plane
    record.fill(20, 1025, 2049); // green plane
    record.fill(30, 2049); // blue plane
    record[1 + 33] = 99; // red of pixel (x=1, y=1)
    const dataset = parseCifarBinary([record]);
    expect(dataset.n).toBe(1);
    expect(dataset.labels[0]).toBe(7);
    expect([...imageAt(dataset, 0).subarray(0, 6)]).toEqual([10, 20, 30, 10, 20, 30]);
    expect(imageAt(dataset, 0)[33 * 3]).toBe(99);
  });

  it('when batches are read from files, then images and labels follow file order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'visionops-cifar-'));
    try {
      await mkdir(join(dir, 'cifar-10-batches-bin'));
      const images = [0, 1, 2, 3, 4, 5].map((i) => syntheticPixels(i, i));
      for (let batch = 1; batch <= 5; batch++) {
        await writeFile(
          join(dir, 'cifar-10-batches-bin', `data_batch_${batch}.bin`),
          buildCifarBinary([images[batch]!], [batch]),
        );
      }
      await writeFile(
        join(dir, 'cifar-10-batches-bin', 'test_batch.bin'),
        buildCifarBinary([images[0]!], [0]),
      );
      const files = await findCifarBinaryFiles(dir, 'train');
      expect(files).toHaveLength(5);
      const dataset = await readCifarBinary(files!);
      expect([...dataset.labels]).toEqual([1, 2, 3, 4, 5]);
      expect(imageAt(dataset, 2)).toEqual(images[3]);
      expect(await findCifarBinaryFiles(join(dir, 'nothing'), 'test')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the length or a label is wrong, then it throws', () => {
    expect(() => parseCifarBinary([new Uint8Array(CIFAR_RECORD_BYTES + 1)])).toThrow(/multiple of 3073/);
    const record = new Uint8Array(CIFAR_RECORD_BYTES);
    record[0] = 10;
    expect(() => parseCifarBinary([record])).toThrow(/label 10/);
  });
});
