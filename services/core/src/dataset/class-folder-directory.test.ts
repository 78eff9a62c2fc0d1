// Tests of the class-folder directory reader: same rules as the ZIP form, read from disk.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticImage, syntheticPixels } from '@visionops/testkit';
import { readClassFolderDirectory } from './class-folder-directory.js';
import { imageAt } from './decoded-dataset.js';

describe('readClassFolderDirectory', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'visionops-dir-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function put(path: string, data: Buffer | string) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }

  it('when folders name classes, then images are read in path order and the rest is reported', async () => {
    await put('truck/b.png', await syntheticImage(9, 1));
    await put('truck/a.png', await syntheticImage(9, 0));
    await put('airplane/nested/x.webp', await syntheticImage(0, 2, { format: 'webp' }));
    await put('cat/.hidden.png', await syntheticImage(3, 0));
    await put('unicorn/u.png', await syntheticImage(3, 0));
    await put('cat/empty.jpg', '');
    await put('loose.png', await syntheticImage(3, 0));
    await symlink(join(root, 'truck/a.png'), join(root, 'truck/link.png'));

    const dataset = await readClassFolderDirectory(root);

    expect([...dataset.labels]).toEqual([0, 9, 9]);
    expect(imageAt(dataset, 1)).toEqual(syntheticPixels(9, 0));
    expect(imageAt(dataset, 2)).toEqual(syntheticPixels(9, 1));
    expect(dataset.skipped).toEqual([
      { name: 'cat/empty.jpg', reason: 'undecodable', detail: 'empty' },
      { name: 'loose.png', reason: 'not_in_class_folder' },
      { name: 'unicorn/u.png', reason: 'unknown_class', detail: 'unicorn' },
    ]);
  });
});
