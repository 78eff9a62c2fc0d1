// Tests of the entry-name rules and declared-size checks the gateway runs on uploads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import unzipper from 'unzipper';
import yazl from 'yazl';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildZip,
  renamedInLocalHeader,
  withLongerCentralSize,
  withoutCentralRecord,
} from '@visionops/testkit';
import {
  DEFAULT_ZIP_LIMITS,
  checkEntryName,
  checkLocalHeaders,
  inspectZipEntries,
  isSymlinkEntry,
  isUtf8Name,
  looksLikeArchive,
} from './zip-safety.js';

describe('checkEntryName', () => {
  it.each([
    ['cat/0001.jpg', undefined],
    ['cat/', undefined],
    ['cat/..jpg', undefined],
    ['cat/../../etc/passwd', 'path_traversal'],
    ['..', 'path_traversal'],
    ['/etc/passwd', 'absolute_path'],
    ['c:/windows/x.jpg', 'absolute_path'],
    ['cat\\x.jpg', 'backslash'],
    ['cat/x\u0000.jpg', 'bad_name'],
    ['', 'bad_name'],
    ['cat/inner.tar.gz', 'nested_archive'],
    ['cat/inner.ZIP', 'nested_archive'],
  ])('when the name is %j, then the verdict is %s', (name, verdict) => {
    expect(checkEntryName(name)).toBe(verdict);
  });
});

describe('inspectZipEntries', () => {
  it('when the entries are within limits, then it returns their count and declared bytes', () => {
    const entries = [
      { path: 'cat/', uncompressedSize: 0 },
      { path: 'cat/a.png', uncompressedSize: 1000 },
    ];
    expect(inspectZipEntries(entries)).toEqual({ entries: 2, totalBytes: 1000 });
  });

  it('when an entry is encrypted, then it is refused', () => {
    expect(() => inspectZipEntries([{ path: 'cat/a.png', uncompressedSize: 10, flags: 1 }])).toThrow(
      expect.objectContaining({ reason: 'encrypted', entry: 'cat/a.png' }) as Error,
    );
  });

  it('when the declared size is over the entry limit, then it is refused before anything is unpacked', () => {
    const size = DEFAULT_ZIP_LIMITS.maxEntryBytes + 1;
    expect(() => inspectZipEntries([{ path: 'cat/a.png', uncompressedSize: size }])).toThrow(
      /unpacks to too many bytes/,
    );
  });

  it('when two entries share a name, then the second is refused as a duplicate', () => {
    const entries = [
      { path: 'cat/a.png', uncompressedSize: 10 },
      { path: 'cat/a.png', uncompressedSize: 20 },
    ];
    expect(() => inspectZipEntries(entries)).toThrow(
      expect.objectContaining({ reason: 'duplicate_name', entry: 'cat/a.png' }) as Error,
    );
  });

  it('when an entry is a Unix symbolic link, then it is refused; a regular file with a Unix mode is not', () => {
    const link = { path: 'cat/a.png', uncompressedSize: 11, externalFileAttributes: (0o120777 << 16) >>> 0 };
    expect(() => inspectZipEntries([link])).toThrow(expect.objectContaining({ reason: 'symlink' }) as Error);
    const file = { path: 'cat/b.png', uncompressedSize: 11, externalFileAttributes: (0o100644 << 16) >>> 0 };
    expect(inspectZipEntries([file]).entries).toBe(1);
  });

  it('when a name is not valid UTF-8 (a legacy code page), then it is refused; UTF-8 names pass', () => {
    const cp437 = {
      path: 'cat/\ufffd.png',
      uncompressedSize: 1,
      pathBuffer: Buffer.from('cat/\x81.png', 'latin1'),
    };
    expect(() => inspectZipEntries([cp437])).toThrow(
      expect.objectContaining({ reason: 'non_utf8_name' }) as Error,
    );
    const accented = { path: 'cat/café.png', uncompressedSize: 1, pathBuffer: Buffer.from('cat/café.png') };
    expect(inspectZipEntries([accented]).entries).toBe(1);
  });
});

describe('isUtf8Name and isSymlinkEntry', () => {
  it('when bytes are checked, then only valid UTF-8 passes and only S_IFLNK counts as a link', () => {
    expect(isUtf8Name(Buffer.from('dog/ünïcode.jpg'))).toBe(true);
    expect(isUtf8Name(Buffer.from([0x64, 0x6f, 0x67, 0x2f, 0xe9, 0x2e, 0x6a]))).toBe(false);
    expect(isSymlinkEntry((0o120755 << 16) >>> 0)).toBe(true);
    expect(isSymlinkEntry((0o040755 << 16) >>> 0)).toBe(false);
    expect(isSymlinkEntry(0x20)).toBe(false);
  });
});

describe('looksLikeArchive', () => {
  it('when the bytes start like a zip or gzip, then it says so; an image does not', () => {
    expect(looksLikeArchive(Buffer.from('504b030414000000', 'hex'))).toBe(true);
    expect(looksLikeArchive(Buffer.from('1f8b0800', 'hex'))).toBe(true);
    expect(looksLikeArchive(Buffer.from('ffd8ffe000104a46', 'hex'))).toBe(false);
  });
});

describe('checkLocalHeaders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'visionops-zip-headers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const check = async (zip: Buffer) => {
    const path = join(dir, `${n++}.zip`);
    writeFileSync(path, zip);
    const directory = await unzipper.Open.file(path);
    await checkLocalHeaders(path, directory.files, directory.offsetToStartOfCentralDirectory);
  };
  const twoEntries = () =>
    buildZip([
      { path: 'cat/', data: undefined },
      { path: 'cat/a.png', data: 'a'.repeat(300), compress: true },
      { path: 'cat/b.png', data: 'b'.repeat(300) },
    ]);

  // Streamed entries: sizes unknown up front, so each is followed by a data descriptor.
  const streamedZip = async () => {
    const zip = new yazl.ZipFile();
    zip.addReadStream(Readable.from([Buffer.alloc(5000, 7)]), 'dog/streamed.png');
    zip.addReadStream(Readable.from([Buffer.alloc(10, 1)]), 'dog/small.png', { compress: false });
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  };

  it('when the ZIP is written normally, stored or deflated, sizes ahead or in data descriptors, then it passes', async () => {
    await check(await twoEntries());
    await check(await streamedZip());
  });

  it('when a local header names another file than the directory, then it is refused naming both', async () => {
    await expect(check(renamedInLocalHeader(await twoEntries(), 1, 'dog/a.png'))).rejects.toMatchObject({
      reason: 'inconsistent_zip',
      entry: 'cat/a.png',
      message: expect.stringContaining('its local header names "dog/a.png"') as string,
    });
  });

  it('when an entry is left out of the directory, then the bytes it occupies are refused', async () => {
    await expect(check(withoutCentralRecord(await twoEntries(), 1))).rejects.toMatchObject({
      reason: 'inconsistent_zip',
      entry: 'cat/b.png',
      message: expect.stringMatching(/\d+ bytes before it are not a listed entry/) as string,
    });
  });

  it('when the last entry is the one left out, then the gap before the directory is refused', async () => {
    await expect(check(withoutCentralRecord(await twoEntries(), 2))).rejects.toMatchObject({
      reason: 'inconsistent_zip',
      message: expect.stringMatching(/bytes before the central directory are not a listed entry/) as string,
    });
  });

  it('when the directory gives a packed size the local header does not, then it is refused naming both', async () => {
    await expect(check(withLongerCentralSize(await twoEntries(), 1, 100))).rejects.toMatchObject({
      reason: 'inconsistent_zip',
      entry: 'cat/a.png',
      message: expect.stringMatching(/local header says \d+ packed bytes, the directory \d+/) as string,
    });
  });

  it('when sizes are in data descriptors and the directory makes two entries overlap, then it is refused', async () => {
    await expect(check(withLongerCentralSize(await streamedZip(), 0, 100))).rejects.toMatchObject({
      reason: 'inconsistent_zip',
      entry: 'dog/small.png',
      message: expect.stringContaining('it overlaps "dog/streamed.png"') as string,
    });
  });
});
