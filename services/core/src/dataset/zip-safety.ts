// Checks that keep a hostile ZIP harmless: entry names, counts and unpacked sizes. Shared by the
// gateway (quick check of an upload's central directory) and the readers (enforced while streaming).
import { open } from 'node:fs/promises';
import unzipper from 'unzipper';

export interface ZipLimits {
  /** Entries of any kind, folders included. */
  maxEntries: number;
  /** Sum of the unpacked sizes of all entries. */
  maxTotalBytes: number;
  /** Unpacked size of one entry. */
  maxEntryBytes: number;
}

// Room for the 50,000-image CIFAR-10 training set (about 51 MB) with margin; uploads may pass less.
export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 60_000,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxEntryBytes: 16 * 1024 * 1024,
});

export type UnsafeZipReason =
  | 'path_traversal'
  | 'absolute_path'
  | 'backslash'
  | 'bad_name'
  | 'non_utf8_name'
  | 'duplicate_name'
  | 'symlink'
  | 'nested_archive'
  | 'encrypted'
  | 'too_many_entries'
  | 'too_many_bytes'
  | 'entry_too_large'
  | 'inconsistent_zip'
  | 'not_a_zip';

/** The archive as a whole is refused: the uploader's mistake or an attack (HTTP 400 / 413). */
export class UnsafeZipError extends Error {
  constructor(
    readonly reason: UnsafeZipReason,
    message: string,
    readonly entry?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnsafeZipError';
  }
}

const ARCHIVE_EXTENSIONS = /\.(zip|jar|tar|tgz|gz|bz2|xz|zst|7z|rar|cab|iso)$/i;

/** Why an entry name is unsafe, or undefined when it is fine. Checks the raw name, before any cleaning. */
export function checkEntryName(name: string): UnsafeZipReason | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (name === '' || /[\u0000-\u001f]/.test(name)) return 'bad_name';
  if (name.includes('\\')) return 'backslash';
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return 'absolute_path';
  if (name.split('/').includes('..')) return 'path_traversal';
  if (!name.endsWith('/') && ARCHIVE_EXTENSIONS.test(name)) return 'nested_archive';
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the raw bytes of an entry name are valid UTF-8 (the readers decode names as UTF-8). */
export function isUtf8Name(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Whether the central directory's external attributes mark a Unix symbolic link. */
export function isSymlinkEntry(externalFileAttributes: number): boolean {
  // Unix tools keep the st_mode in the high 16 bits; other hosts leave them 0, so no host check.
  return ((externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

/** Nested archives renamed to look like images are caught by their first bytes. */
export function looksLikeArchive(head: Uint8Array): boolean {
  const b = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 8));
  return (
    b.subarray(0, 4).equals(Buffer.from('504b0304', 'hex')) || // zip
    b.subarray(0, 2).equals(Buffer.from('1f8b', 'hex')) || // gzip
    b.subarray(0, 6).equals(Buffer.from('377abcaf271c', 'hex')) || // 7z
    b.subarray(0, 4).toString('latin1') === 'Rar!'
  );
}

const MESSAGES: Record<UnsafeZipReason, string> = {
  path_traversal: 'an entry name contains ".."',
  absolute_path: 'an entry name is an absolute path',
  backslash: 'an entry name contains a backslash; use a ZIP tool that writes "/" separators',
  bad_name: 'an entry name is empty or contains control characters',
  non_utf8_name:
    'an entry name is not UTF-8 (an old ZIP tool wrote it in a legacy code page); re-create the ZIP with a tool that writes UTF-8 names',
  duplicate_name: 'two entries have the same name; each file may appear once',
  symlink: 'the ZIP contains a symbolic link; add the image files themselves',
  nested_archive: 'the ZIP contains another archive; put the images in class folders directly',
  encrypted: 'the ZIP contains encrypted entries',
  too_many_entries: 'the ZIP has too many entries',
  too_many_bytes: 'the ZIP unpacks to too many bytes',
  entry_too_large: 'an entry unpacks to too many bytes',
  inconsistent_zip:
    "the ZIP's entries do not match its central directory (a crafted or damaged archive); re-create it with a standard ZIP tool",
  not_a_zip: 'the file is not a readable ZIP archive',
};

export function unsafeZip(reason: UnsafeZipReason, entry?: string, detail?: string): UnsafeZipError {
  const where = entry === undefined ? '' : ` (${JSON.stringify(entry)})`;
  return new UnsafeZipError(reason, `${MESSAGES[reason]}${where}${detail ? `: ${detail}` : ''}`, entry);
}

/**
 * Running totals for one archive. The readers call it with the bytes they actually unpack, because
 * sizes declared in ZIP headers can lie.
 */
export class ZipBudget {
  private entries = 0;
  private totalBytes = 0;
  private readonly names = new Set<string>();

  constructor(private readonly limits: Readonly<ZipLimits> = DEFAULT_ZIP_LIMITS) {}

  /**
   * Counts one entry and checks its name (and its raw bytes when known: a name that is not UTF-8
   * decodes to replacement characters, which could hide what it really says); throws UnsafeZipError.
   */
  admit(
    name: string,
    options: { encrypted?: boolean; nameBytes?: Uint8Array; symlink?: boolean } = {},
  ): void {
    if (++this.entries > this.limits.maxEntries) {
      throw unsafeZip('too_many_entries', undefined, `more than ${this.limits.maxEntries}`);
    }
    if (options.nameBytes && !isUtf8Name(options.nameBytes)) throw unsafeZip('non_utf8_name', name);
    const problem = checkEntryName(name);
    if (problem) throw unsafeZip(problem, name);
    // Two entries of one name: which one a reader keeps differs between tools.
    if (this.names.has(name)) throw unsafeZip('duplicate_name', name);
    this.names.add(name);
    if (options.symlink) throw unsafeZip('symlink', name);
    if (options.encrypted) throw unsafeZip('encrypted', name);
  }

  /** Counts unpacked bytes of an entry whose size so far is `entryBytes`; throws UnsafeZipError. */
  addBytes(name: string, bytes: number, entryBytes: number): void {
    this.totalBytes += bytes;
    if (entryBytes > this.limits.maxEntryBytes) {
      throw unsafeZip('entry_too_large', name, `more than ${this.limits.maxEntryBytes} bytes`);
    }
    if (this.totalBytes > this.limits.maxTotalBytes) {
      throw unsafeZip('too_many_bytes', undefined, `more than ${this.limits.maxTotalBytes} bytes`);
    }
  }
}

export interface ZipEntryInfo {
  path: string;
  /** Declared unpacked size (from the central directory). */
  uncompressedSize: number;
  /** General purpose flags; bit 0 marks an encrypted entry. */
  flags?: number;
  /** The name as stored, before decoding. */
  pathBuffer?: Uint8Array;
  /** Central directory external attributes (Unix mode in the high 16 bits). */
  externalFileAttributes?: number;
}

/**
 * Checks declared entries (for example a central directory) against the limits and naming rules;
 * throws the first problem as UnsafeZipError. Returns the entry count and declared total bytes.
 */
export function inspectZipEntries(
  entries: Iterable<ZipEntryInfo>,
  limits: Readonly<ZipLimits> = DEFAULT_ZIP_LIMITS,
): { entries: number; totalBytes: number } {
  const budget = new ZipBudget(limits);
  let count = 0;
  let totalBytes = 0;
  for (const entry of entries) {
    budget.admit(entry.path, {
      encrypted: ((entry.flags ?? 0) & 1) === 1,
      ...(entry.pathBuffer && { nameBytes: entry.pathBuffer }),
      symlink: isSymlinkEntry(entry.externalFileAttributes ?? 0),
    });
    budget.addBytes(entry.path, entry.uncompressedSize, entry.uncompressedSize);
    count++;
    totalBytes += entry.uncompressedSize;
  }
  return { entries: count, totalBytes };
}

/** inspectZipEntries over the central directory of a ZIP (a file path or its bytes), unpacking nothing. */
export async function inspectZipFile(
  source: string | Buffer,
  limits: Readonly<ZipLimits> = DEFAULT_ZIP_LIMITS,
): Promise<{ entries: number; totalBytes: number }> {
  let directory: unzipper.CentralDirectory;
  try {
    directory = await (typeof source === 'string'
      ? unzipper.Open.file(source)
      : unzipper.Open.buffer(source));
  } catch (error) {
    throw new UnsafeZipError('not_a_zip', MESSAGES.not_a_zip, undefined, { cause: error });
  }
  return inspectZipEntries(directory.files, limits);
}

/** What checkLocalHeaders needs of a central-directory entry (unzipper's CentralDirectory files). */
export interface CentralEntryRef {
  path: string;
  pathBuffer: Uint8Array;
  offsetToLocalFileHeader: number;
  compressedSize: number;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
/** The largest data descriptor (ZIP64, with its optional signature); no local header fits in it. */
const MAX_DATA_DESCRIPTOR_BYTES = 24;
const HEADER_WINDOW_BYTES = 1024 * 1024;

/**
 * Checks that the local headers agree with the central directory: each entry's header carries the
 * same name and, where it gives one, the same packed size, and the entries tile the file up to the
 * central directory, with no unlisted bytes between them and no overlap (the overlapping-entries
 * bomb). The trainer reads uploads through the central directory, so this refuses crafted or
 * damaged archives rather than guarding what it reads. Headers are read through a 1 MiB window.
 */
export async function checkLocalHeaders(
  path: string,
  entries: readonly CentralEntryRef[],
  centralDirectoryOffset: number,
): Promise<void> {
  const ordered = [...entries].sort((a, b) => a.offsetToLocalFileHeader - b.offsetToLocalFileHeader);
  const file = await open(path, 'r');
  // Headers are read through a window of the file: for small entries, hundreds per read.
  const window = { start: 0, bytes: Buffer.alloc(0) };
  const readAt = async (offset: number, length: number): Promise<Buffer> => {
    if (offset < window.start || offset + length > window.start + window.bytes.length) {
      const bytes = Buffer.alloc(Math.max(length, HEADER_WINDOW_BYTES));
      const { bytesRead } = await file.read(bytes, 0, bytes.length, offset);
      Object.assign(window, { start: offset, bytes: bytes.subarray(0, bytesRead) });
    }
    const from = offset - window.start;
    return window.bytes.subarray(from, Math.min(from + length, window.bytes.length));
  };
  try {
    let end = 0;
    let previous: string | undefined;
    // `entry` undefined: the central directory, which follows the last entry.
    const expectNext = (offset: number, entry?: string) => {
      const gap = offset - end;
      const what = entry === undefined ? 'the central directory' : 'it';
      if (gap < 0) {
        throw unsafeZip('inconsistent_zip', entry, `${what} overlaps ${JSON.stringify(previous)}`);
      }
      if (gap > MAX_DATA_DESCRIPTOR_BYTES) {
        throw unsafeZip('inconsistent_zip', entry, `${gap} bytes before ${what} are not a listed entry`);
      }
    };
    for (const entry of ordered) {
      expectNext(entry.offsetToLocalFileHeader, entry.path);
      const nameLength = entry.pathBuffer.length;
      const header = await readAt(entry.offsetToLocalFileHeader, LOCAL_HEADER_BYTES + nameLength);
      const complete = header.length === LOCAL_HEADER_BYTES + nameLength;
      const name = header.subarray(LOCAL_HEADER_BYTES);
      if (
        !complete ||
        header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE ||
        header.readUInt16LE(26) !== nameLength ||
        !name.equals(entry.pathBuffer)
      ) {
        const local = complete ? name.toString('utf8') : '(no header)';
        throw unsafeZip('inconsistent_zip', entry.path, `its local header names ${JSON.stringify(local)}`);
      }
      // A size in the local header must be the directory's: 0 is allowed only with a data
      // descriptor (flag bit 3), and 0xffffffff defers to a ZIP64 field.
      const localSize = header.readUInt32LE(18);
      const deferred = localSize === 0xffffffff || (localSize === 0 && (header.readUInt16LE(6) & 0x08) !== 0);
      if (!deferred && localSize !== entry.compressedSize) {
        throw unsafeZip(
          'inconsistent_zip',
          entry.path,
          `its local header says ${localSize} packed bytes, the directory ${entry.compressedSize}`,
        );
      }
      end =
        entry.offsetToLocalFileHeader +
        LOCAL_HEADER_BYTES +
        nameLength +
        header.readUInt16LE(28) +
        entry.compressedSize;
      previous = entry.path;
    }
    expectNext(centralDirectoryOffset);
  } finally {
    await file.close();
  }
}
