// Reads a ZIP of class folders (`cat/0001.jpg`, ...): as a stream in one pass, or a file through its
// central directory; nothing written to disk, the hostile-archive limits enforced on the bytes
// actually unpacked.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import unzipper from 'unzipper';
import { classifyClassFolderPath } from './class-folder-paths.js';
import type { DecodedDataset, LabelledFile, SkippedEntry } from './decoded-dataset.js';
import { decodeLabelledFiles, type DecodeFilesOptions } from './decode-files.js';
import {
  DEFAULT_ZIP_LIMITS,
  UnsafeZipError,
  ZipBudget,
  isSymlinkEntry,
  looksLikeArchive,
  unsafeZip,
  type ZipLimits,
} from './zip-safety.js';

export interface ClassFolderZipOptions {
  limits?: Readonly<ZipLimits>;
  /**
   * How a ZIP file (a path) is read. 'stream' (the default, and the only way for a stream): one pass
   * over the local headers, the fastest for many small entries. 'directory': each entry where the
   * central directory puts it, the view inspectRetrainUpload() checks, so what an uploader's ZIP
   * shows a streaming reader (entries the directory does not list, data descriptors cut short by
   * their signature turning up inside compressed data) cannot differ from what was checked.
   */
  read?: 'stream' | 'directory';
}

async function readEntry(name: string, entry: AsyncIterable<Buffer>, budget: ZipBudget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry) {
    size += chunk.length;
    budget.addBytes(name, chunk.length, size);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Reading errors that are not the archive's fault (a missing file) pass; others: not a ZIP. */
function asUnreadable(error: unknown): unknown {
  if (error instanceof UnsafeZipError || (error as NodeJS.ErrnoException).code === 'ENOENT') return error;
  return new UnsafeZipError('not_a_zip', `the ZIP could not be read: ${String(error)}`, undefined, {
    cause: error,
  });
}

/** The 'directory' way: entries in central-directory order, each read from where it says. */
async function* iterateByDirectory(
  path: string,
  budget: ZipBudget,
): AsyncGenerator<LabelledFile | SkippedEntry> {
  let directory: unzipper.CentralDirectory;
  try {
    directory = await unzipper.Open.file(path);
  } catch (error) {
    throw asUnreadable(error);
  }
  for (const file of directory.files) {
    budget.admit(file.path, {
      encrypted: (file.flags & 1) === 1,
      nameBytes: file.pathBuffer,
      symlink: isSymlinkEntry(file.externalFileAttributes),
    });
    const classified = file.type === 'Directory' ? undefined : classifyClassFolderPath(file.path);
    // Entries that are not images are never unpacked, so they unpack no bytes.
    if (classified?.kind !== 'image') {
      if (classified?.kind === 'skipped') yield classified.entry;
      continue;
    }
    let data: Buffer;
    try {
      data = await readEntry(file.path, file.stream() as AsyncIterable<Buffer>, budget);
    } catch (error) {
      throw asUnreadable(error);
    }
    if (looksLikeArchive(data)) throw unsafeZip('nested_archive', file.path);
    yield { name: file.path, label: classified.label, data };
  }
}

/**
 * Yields each image file with its label, and each skipped entry, in archive order. Throws
 * UnsafeZipError (and stops reading) as soon as the archive breaks a limit or naming rule.
 * Stopping the iteration early closes the source.
 */
export async function* iterateClassFolderZip(
  source: string | Readable,
  options: ClassFolderZipOptions = {},
): AsyncGenerator<LabelledFile | SkippedEntry> {
  const budget = new ZipBudget(options.limits ?? DEFAULT_ZIP_LIMITS);
  if (options.read === 'directory') {
    if (typeof source !== 'string') throw new Error("read: 'directory' needs a file path, not a stream");
    yield* iterateByDirectory(source, budget);
    return;
  }
  const input: Readable = typeof source === 'string' ? createReadStream(source) : source;
  const parser = unzipper.Parse({ forceStream: true });
  // pipe() does not forward errors: a failing source must fail the parse, not hang it.
  let sourceError: Error | undefined;
  input.on('error', (error: Error) => {
    sourceError = error;
    parser.destroy(error);
  });
  input.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<unzipper.Entry>) {
      const entry = item;
      budget.admit(entry.path, {
        encrypted: (entry.vars.flags & 1) === 1,
        nameBytes: (entry.props as { pathBuffer?: Buffer }).pathBuffer ?? Buffer.from(entry.path),
      });
      const classified = entry.type === 'Directory' ? undefined : classifyClassFolderPath(entry.path);
      if (classified?.kind !== 'image') {
        // Unread entries still count towards the unpacked total: draining them unpacks them.
        let size = 0;
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          size += chunk.length;
          budget.addBytes(entry.path, chunk.length, size);
        }
        if (classified?.kind === 'skipped') yield classified.entry;
        continue;
      }
      const data = await readEntry(entry.path, entry as AsyncIterable<Buffer>, budget);
      if (looksLikeArchive(data)) throw unsafeZip('nested_archive', entry.path);
      yield { name: entry.path, label: classified.label, data };
    }
  } catch (error) {
    // A source that cannot be read (missing file, network) is not the archive's fault.
    if (error instanceof UnsafeZipError || sourceError) throw error;
    throw new UnsafeZipError('not_a_zip', `the ZIP could not be read: ${String(error)}`, undefined, {
      cause: error,
    });
  } finally {
    input.unpipe(parser);
    input.destroy();
    parser.destroy();
  }
}

/** Reads and decodes a whole class-folder ZIP (a path or a stream) into memory. */
export async function readClassFolderZip(
  source: string | Readable,
  options: ClassFolderZipOptions & DecodeFilesOptions = {},
): Promise<DecodedDataset> {
  return decodeLabelledFiles(iterateClassFolderZip(source, options), options);
}
