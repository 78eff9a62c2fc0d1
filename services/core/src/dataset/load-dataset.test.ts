// Tests of loadDataset: source detection and the decoded-image cache on disk.
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCifarBinary, buildClassFolderZip, syntheticPixels } from '@visionops/testkit';
import { decodeDatasetFile, encodeDatasetHeader } from './dataset-file.js';
import { loadDataset, resolveDatasetSource } from './load-dataset.js';

describe('loadDataset', () => {
  let dir: string;
  let cacheDir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'visionops-load-'));
    cacheDir = join(dir, 'cache');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when the same ZIP is loaded twice, then the second load comes from the cache with equal data', async () => {
    const zipPath = join(dir, 'upload.zip');
    const { zip } = await buildClassFolderZip({ perClass: 2, extra: [{ path: 'x/y.png', data: 'nope' }] });
    await writeFile(zipPath, zip);

    const cold = await loadDataset(zipPath, { cacheDir });
    const warm = await loadDataset(zipPath, { cacheDir });

    expect(cold.fromCache).toBe(false);
    expect(warm.fromCache).toBe(true);
    expect(warm.n).toBe(20);
    expect(warm.images).toEqual(cold.images);
    expect(warm.labels).toEqual(cold.labels);
    expect(warm.skipped).toEqual([{ name: 'x/y.png', reason: 'unknown_class', detail: 'x' }]);
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it('when the file changes (mtime) or the cache file is damaged, then it decodes again', async () => {
    const zipPath = join(dir, 'data.zip');
    await writeFile(zipPath, (await buildClassFolderZip({ perClass: 1 })).zip);
    await loadDataset(zipPath, { cacheDir });
    await utimes(zipPath, new Date(), new Date(Date.now() + 5_000));
    expect((await loadDataset(zipPath, { cacheDir })).fromCache).toBe(false);
    const files = await readdir(cacheDir);
    expect(files).toHaveLength(2);
    for (const file of files) await writeFile(join(cacheDir, file), 'garbage');
    expect((await loadDataset(zipPath, { cacheDir })).fromCache).toBe(false);
    expect((await loadDataset(zipPath, { cacheDir })).fromCache).toBe(true);
  });

  it('when cacheDir is false, then nothing is written', async () => {
    const zipPath = join(dir, 'data.zip');
    await writeFile(zipPath, (await buildClassFolderZip({ perClass: 1, classes: [2] })).zip);
    const dataset = await loadDataset(zipPath, { cacheDir: false });
    expect(dataset).toMatchObject({ n: 1, fromCache: false });
    expect(await readdir(dir)).toEqual(['data.zip']);
  });

  it('when a path holds CIFAR-10 batches, a directory or a .bin, then the source kind is detected', async () => {
    await writeFile(join(dir, 'test_batch.bin'), buildCifarBinary([syntheticPixels(4, 0)], [4]));
    expect(await resolveDatasetSource(dir, 'test')).toEqual({
      kind: 'cifar-binary',
      files: [join(dir, 'test_batch.bin')],
    });
    expect(await resolveDatasetSource(dir, 'train')).toEqual({ kind: 'directory', path: dir });
    const loaded = await loadDataset(dir, { cacheDir, split: 'test' });
    expect(loaded).toMatchObject({ n: 1, fromCache: false });
    expect(loaded.images).toEqual(syntheticPixels(4, 0));
    await expect(resolveDatasetSource(join(dir, 'missing.zip'))).rejects.toThrow(/ENOENT/);
  });
});

describe('dataset file', () => {
  it('when a truncated file is decoded, then it throws', () => {
    const header = encodeDatasetHeader({
      images: new Uint8Array(3072),
      labels: new Uint8Array(1),
      n: 1,
      skipped: [],
    });
    expect(() => decodeDatasetFile(header)).toThrow(/truncated/);
    expect(() => decodeDatasetFile(Buffer.from('nope'))).toThrow(/not a visionops dataset/);
  });
});
