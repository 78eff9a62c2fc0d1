// Reads a ZIP of class folders (`cat/0001.jpg`, ...) as a stream: one pass, nothing written to disk,
// the hostile-archive limits enforced on the bytes actually unpacked.
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
  looksLikeArchive,
  unsafeZip,
  type ZipLimits,
} from './zip-safety.js';

export interface ClassFolderZipOptions {
  limits?: Readonly<ZipLimits>;
}

async function readEntry(entry: unzipper.Entry, budget: ZipBudget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    size += chunk.length;
    budget.addBytes(entry.path, chunk.length, size);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
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
      const data = await readEntry(entry, budget);
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
