// Tests of the entry-name rules and declared-size checks the gateway runs on uploads.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ZIP_LIMITS, checkEntryName, inspectZipEntries, looksLikeArchive } from './zip-safety.js';

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
});

describe('looksLikeArchive', () => {
  it('when the bytes start like a zip or gzip, then it says so; an image does not', () => {
    expect(looksLikeArchive(Buffer.from('504b030414000000', 'hex'))).toBe(true);
    expect(looksLikeArchive(Buffer.from('1f8b0800', 'hex'))).toBe(true);
    expect(looksLikeArchive(Buffer.from('ffd8ffe000104a46', 'hex'))).toBe(false);
  });
});
