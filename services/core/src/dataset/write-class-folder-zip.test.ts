import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { syntheticPixels } from '@visionops/testkit';
import { readClassFolderZip } from './class-folder-zip.js';
import { writeClassFolderZip } from './write-class-folder-zip.js';

test('when labelled pixels are written as a class-folder ZIP, then reading it gives back the same images and labels', async () => {
  const images = [
    { name: 'b', label: 3, rgb: syntheticPixels(3, 1) },
    { name: 'a', label: 7, rgb: syntheticPixels(7, 2) },
    { name: 'c', label: 3, rgb: syntheticPixels(3, 3) },
  ];
  const zip = await writeClassFolderZip(images);
  expect(await writeClassFolderZip([...images].reverse())).toEqual(zip);
  const directory = mkdtempSync(join(tmpdir(), 'visionops-zip-'));
  try {
    writeFileSync(join(directory, 'x.zip'), zip);
    const dataset = await readClassFolderZip(join(directory, 'x.zip'));
    expect(dataset.n).toBe(3);
    expect([...dataset.labels.subarray(0, 3)]).toEqual([3, 3, 7]);
    expect(dataset.images.subarray(0, 3072)).toEqual(images[0]!.rgb);
    expect(dataset.images.subarray(6144, 9216)).toEqual(images[1]!.rgb);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
