// Tests of the class-folder ZIP reader (streamed, or through the central directory) and of the
// hostile-archive checks it enforces.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import unzipper from 'unzipper';
import { afterAll, describe, expect, it } from 'vitest';
import { LABELS, NUM_CLASSES } from '../labels.js';
import { decodeImage } from '../preprocess.js';
import {
  buildClassFolderZip,
  buildZip,
  realDataFile,
  syntheticImage,
  syntheticPixels,
  withoutCentralRecord,
} from '@visionops/testkit';
import { readClassFolderZip } from './class-folder-zip.js';
import { imageAt, type DecodedDataset } from './decoded-dataset.js';
import {
  UnsafeZipError,
  inspectZipEntries,
  inspectZipFile,
  type UnsafeZipReason,
  type ZipLimits,
} from './zip-safety.js';

function classCounts(dataset: DecodedDataset): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const label of dataset.labels) counts[label]!++;
  return counts;
}

async function rejection(promise: Promise<unknown>): Promise<UnsafeZipError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(UnsafeZipError);
  return error as UnsafeZipError;
}

const fromBuffer = (zip: Buffer) => Readable.from([zip]);

// The real test.zip has no folder entries; without it, a synthetic ZIP of the same layout runs the
// very same assertions, so this test never passes without reading a ZIP.
const realTestZip = realDataFile('test.zip');
describe(`readClassFolderZip on ${realTestZip ? 'the real CIFAR-10 test.zip' : 'a synthetic JPEG ZIP'}`, () => {
  it('when reading a class-folder ZIP without folder entries, then every image is decoded under its label', async () => {
    const zip =
      realTestZip ?? (await buildClassFolderZip({ perClass: 5, folderEntries: false, format: 'jpeg' })).zip;
    const directory = await (typeof zip === 'string' ? unzipper.Open.file(zip) : unzipper.Open.buffer(zip));
    const files = directory.files.filter((file) => file.type === 'File');
    expect(directory.files.some((file) => file.type === 'Directory')).toBe(false);
    const expectedCounts = LABELS.map(
      (label) => files.filter((file) => file.path.startsWith(`${label}/`)).length,
    );

    const dataset = await readClassFolderZip(typeof zip === 'string' ? zip : fromBuffer(zip));

    expect(dataset.skipped).toEqual([]);
    expect(dataset.n).toBe(files.length);
    expect(dataset.images.length).toBe(files.length * 3072);
    expect(classCounts(dataset)).toEqual(expectedCounts);
    expect(expectedCounts.every((count) => count > 0)).toBe(true);
    // Entry order is kept: image k is the k-th file, decoded by the one preprocessing function.
    for (const k of [0, files.length >> 1, files.length - 1]) {
      const file = files[k]!;
      expect(dataset.labels[k]).toBe(LABELS.findIndex((label) => file.path.startsWith(`${label}/`)));
      expect(imageAt(dataset, k)).toEqual(await decodeImage(await file.buffer()));
    }
  });
});

describe('readClassFolderZip', () => {
  it('when the ZIP has folder entries, clutter, unknown folders and broken files, then images are kept and the rest reported', async () => {
    const broken = (await syntheticImage(3, 9, { format: 'jpeg', size: 200 })).subarray(0, 300);
    const { zip, images } = await buildClassFolderZip({
      perClass: 2,
      classes: [0, 3],
      extra: [
        { path: '__MACOSX/cat/._0000.png', data: 'resource fork' },
        { path: 'cat/.DS_Store', data: 'finder' },
        { path: 'Thumbs.db', data: 'windows' },
        { path: 'README.txt', data: 'my photos' },
        { path: 'dinosaur/' },
        { path: 'dinosaur/t-rex.png', data: await syntheticImage(0, 0) },
        { path: 'cat/broken.jpg', data: broken },
        { path: 'cat/notes.txt', data: 'not an image' },
        { path: 'Dog/0000.png', data: await syntheticImage(5, 0), compress: true },
      ],
    });
    const dataset = await readClassFolderZip(fromBuffer(zip), { concurrency: 3 });

    expect(dataset.n).toBe(images.length + 1);
    expect([...dataset.labels]).toEqual([0, 0, 3, 3, 5]);
    images.forEach(({ label, index }, k) =>
      expect(imageAt(dataset, k)).toEqual(syntheticPixels(label, index)),
    );
    expect(imageAt(dataset, 4)).toEqual(syntheticPixels(5, 0));
    expect(dataset.skipped).toEqual([
      { name: 'README.txt', reason: 'not_in_class_folder' },
      { name: 'dinosaur/t-rex.png', reason: 'unknown_class', detail: 'dinosaur' },
      { name: 'cat/broken.jpg', reason: 'undecodable', detail: 'corrupt' },
      { name: 'cat/notes.txt', reason: 'undecodable', detail: 'not_an_image' },
    ]);
  });

  it('when maxImages is set, then reading stops after that many images', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 3 });
    const dataset = await readClassFolderZip(fromBuffer(zip), { maxImages: 4 });
    expect(dataset.n).toBe(4);
    expect([...dataset.labels]).toEqual([0, 0, 0, 1]);
  });

  it('when the bytes are not a ZIP, then it throws not_a_zip', async () => {
    const error = await rejection(
      readClassFolderZip(fromBuffer(Buffer.from('this is not a zip file at all'))),
    );
    expect(error.reason).toBe('not_a_zip');
  });

  it('when the source file does not exist, then the file error propagates (not the uploader fault)', async () => {
    await expect(readClassFolderZip('/nonexistent/visionops.zip')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('hostile ZIPs', () => {
  const png = syntheticImage(1, 1);
  const cases: [string, UnsafeZipReason, Record<string, string>][] = [
    ['a "../" path', 'path_traversal', { 'cat/xx/evil.png': 'cat/../evil.png' }],
    ['an absolute path', 'absolute_path', { 'cat/evil.png': '/at/evil.png' }],
    ['a Windows drive path', 'absolute_path', { 'cat/evil.png': 'C:/tevil.png' }],
    ['a backslash', 'backslash', { 'cat/evil.png': 'cat\\evil.png' }],
  ];
  it.each(cases)(
    'when an entry has %s, then the archive is refused with %s',
    async (_what, reason, names) => {
      const placeholder = Object.keys(names)[0]!;
      const zip = await buildZip(
        [
          { path: 'cat/ok.png', data: await png },
          { path: placeholder, data: await png },
        ],
        names,
      );
      const streamed = await rejection(readClassFolderZip(fromBuffer(zip)));
      expect(streamed.reason).toBe(reason);
      expect(streamed.entry).toBe(Object.values(names)[0]);
      expect((await rejection(inspectZipFile(zip))).reason).toBe(reason);
    },
  );

  it('when the ZIP contains another archive, by name or disguised as an image, then it is refused', async () => {
    const inner = await buildZip([{ path: 'cat/a.png', data: await png }]);
    const named = await buildZip([{ path: 'cat/more.zip', data: inner }]);
    const disguised = await buildZip([{ path: 'cat/more.png', data: inner }]);
    expect((await rejection(readClassFolderZip(fromBuffer(named)))).reason).toBe('nested_archive');
    expect((await rejection(inspectZipFile(named))).reason).toBe('nested_archive');
    expect((await rejection(readClassFolderZip(fromBuffer(disguised)))).reason).toBe('nested_archive');
  });

  const limits: ZipLimits = { maxEntries: 5, maxTotalBytes: 1_000_000, maxEntryBytes: 400_000 };
  it('when there are more entries than allowed, then it is refused with too_many_entries', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 2, classes: [0, 1] }); // 6 entries with folders
    expect((await rejection(readClassFolderZip(fromBuffer(zip), { limits }))).reason).toBe(
      'too_many_entries',
    );
    expect((await rejection(inspectZipFile(zip, limits))).reason).toBe('too_many_entries');
    expect(await inspectZipFile(zip, { ...limits, maxEntries: 6 })).toMatchObject({ entries: 6 });
  });

  it('when an entry unpacks beyond the limit though it is small when packed, then it is refused', async () => {
    // 500 kB of zeros deflate to about 500 bytes: the limit must count unpacked bytes.
    const bomb = await buildZip([{ path: 'cat/bomb.png', data: Buffer.alloc(500_000), compress: true }]);
    expect(bomb.length).toBeLessThan(5_000);
    expect((await rejection(readClassFolderZip(fromBuffer(bomb), { limits }))).reason).toBe(
      'entry_too_large',
    );
    expect((await rejection(inspectZipFile(bomb, limits))).reason).toBe('entry_too_large');
  });

  it('when all entries together unpack beyond the limit, then it is refused with too_many_bytes', async () => {
    const entries = [0, 1, 2].map((i) => ({
      path: `cat/${i}.png`,
      data: Buffer.alloc(390_000, i),
      compress: true,
    }));
    const zip = await buildZip(entries);
    expect((await rejection(readClassFolderZip(fromBuffer(zip), { limits }))).reason).toBe('too_many_bytes');
    expect(() =>
      inspectZipEntries(
        entries.map((e) => ({ path: e.path, uncompressedSize: 390_000 })),
        limits,
      ),
    ).toThrow(UnsafeZipError);
  });
});

describe("read: 'directory'", () => {
  const dir = mkdtempSync(join(tmpdir(), 'visionops-zip-directory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const onDisk = (zip: Buffer) => {
    const path = join(dir, `${n++}.zip`);
    writeFileSync(path, zip);
    return path;
  };
  const viaDirectory = (zip: Buffer, limits?: ZipLimits) =>
    readClassFolderZip(onDisk(zip), { read: 'directory', ...(limits && { limits }) });

  it('when the ZIP is an ordinary one with clutter and broken files, then it reads what the stream reads', async () => {
    const { zip } = await buildClassFolderZip({
      perClass: 2,
      classes: [0, 3, 7],
      extra: [
        { path: 'README.txt', data: 'my photos' },
        { path: 'dinosaur/t-rex.png', data: await syntheticImage(0, 0) },
        { path: 'cat/notes.txt', data: 'not an image' },
        { path: 'horse/big.png', data: await syntheticImage(7, 5, { size: 64 }), compress: true },
      ],
    });
    const streamed = await readClassFolderZip(fromBuffer(zip));
    const direct = await viaDirectory(zip);
    expect(direct.n).toBe(7);
    expect(direct).toEqual(streamed);
  });

  it('when the local headers hold an entry the central directory does not list, then only the listed ones are read', async () => {
    const zip = withoutCentralRecord(
      await buildZip([
        { path: 'dog/hidden.png', data: await syntheticImage(5, 1) },
        { path: 'cat/listed.png', data: await syntheticImage(3, 1) },
      ]),
      0,
    );
    expect([...(await readClassFolderZip(fromBuffer(zip))).labels]).toEqual([5, 3]);
    expect([...(await viaDirectory(zip)).labels]).toEqual([3]);
  });

  it('when the ZIP is hostile, then the same limits and naming rules refuse it', async () => {
    const png = await syntheticImage(1, 1);
    const traversal = await buildZip([{ path: 'cat/xx/evil.png', data: png }], {
      'cat/xx/evil.png': 'cat/../evil.png',
    });
    expect(await rejection(viaDirectory(traversal))).toMatchObject({
      reason: 'path_traversal',
      entry: 'cat/../evil.png',
    });
    const limits: ZipLimits = { maxEntries: 5, maxTotalBytes: 1_000_000, maxEntryBytes: 400_000 };
    const bomb = await buildZip([{ path: 'cat/bomb.png', data: Buffer.alloc(500_000), compress: true }]);
    expect((await rejection(viaDirectory(bomb, limits))).reason).toBe('entry_too_large');
    const inner = await buildZip([{ path: 'cat/a.png', data: png }]);
    const disguised = await buildZip([{ path: 'cat/more.png', data: inner }]);
    expect((await rejection(viaDirectory(disguised))).reason).toBe('nested_archive');
    expect((await rejection(viaDirectory(Buffer.from('this is not a zip file at all')))).reason).toBe(
      'not_a_zip',
    );
    await expect(readClassFolderZip(join(dir, 'missing.zip'), { read: 'directory' })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
