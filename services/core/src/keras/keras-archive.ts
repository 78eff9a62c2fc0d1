// Keras 3 `.keras` archives: a ZIP with config.json, metadata.json and model.weights.h5. Read from
// memory through the central directory, with the entry count, names and unpacked sizes bounded
// before and while unpacking (declared sizes can lie).
import unzipper from 'unzipper';
import { checkEntryName } from '../dataset/zip-safety.js';
import { KerasImportError } from './keras-import-error.js';

const END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

export interface KerasArchiveLimits {
  maxEntries: number;
  /** Unpacked bytes of all entries together. */
  maxBytes: number;
}

export interface KerasArchive {
  config: string;
  metadata: string | undefined;
  weights: Buffer;
}

const JSON_ENTRY_MAX_BYTES = 16 * 1024 * 1024;

function tooLarge(message: string): KerasImportError {
  return new KerasImportError('too_large', `the .keras archive ${message}`);
}

async function unpack(entry: unzipper.File, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  const stream = entry.stream();
  for await (const part of stream as AsyncIterable<Buffer>) {
    total += part.length;
    if (total > limit) {
      stream.destroy();
      throw tooLarge(`entry "${entry.path}" unpacks to more than ${limit} bytes`);
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** The three files of a `.keras` archive, unpacked into memory. */
export async function readKerasArchive(bytes: Buffer, limits: KerasArchiveLimits): Promise<KerasArchive> {
  // The end-of-central-directory record sits in the last 64 KiB + 22 bytes; a cut file lacks it.
  const tail = bytes.subarray(Math.max(0, bytes.length - 65_557));
  if (tail.lastIndexOf(END_OF_CENTRAL_DIRECTORY) < 0) {
    throw new KerasImportError(
      'truncated',
      'the .keras archive is incomplete (its ZIP directory is missing); upload the whole file',
    );
  }
  let directory: unzipper.CentralDirectory;
  try {
    directory = await unzipper.Open.buffer(bytes);
  } catch (error) {
    throw new KerasImportError('not_keras_file', 'the .keras archive is not a readable ZIP file', {
      cause: error,
    });
  }
  const files = directory.files;
  if (files.length > limits.maxEntries)
    throw tooLarge(`has ${files.length} entries (at most ${limits.maxEntries})`);
  let declared = 0;
  const byName = new Map<string, unzipper.File>();
  for (const file of files) {
    const problem = checkEntryName(file.path);
    if (problem && problem !== 'nested_archive') {
      throw new KerasImportError(
        'unsafe_archive',
        `the .keras archive has an unsafe entry name ${JSON.stringify(file.path)} (${problem.replaceAll('_', ' ')})`,
      );
    }
    if (file.flags & 1)
      throw new KerasImportError(
        'unsafe_archive',
        `the .keras archive has an encrypted entry ${JSON.stringify(file.path)}`,
      );
    declared += file.uncompressedSize;
    if (declared > limits.maxBytes) throw tooLarge(`unpacks to more than ${limits.maxBytes} bytes`);
    byName.set(file.path, file);
  }
  const config = byName.get('config.json');
  const weights = byName.get('model.weights.h5');
  if (!config)
    throw new KerasImportError(
      'not_keras_file',
      'the archive has no config.json; it is not a Keras 3 .keras model',
    );
  if (!weights) {
    const npz = byName.has('model.weights.npz')
      ? ' (weights saved as .npz are not supported; save with the default h5 weights)'
      : '';
    throw new KerasImportError('missing_weights', `the .keras archive has no model.weights.h5${npz}`);
  }
  const metadata = byName.get('metadata.json');
  // Each entry may use what the others have not declared; the stream stops at its own declared size too.
  const budget = (file: unzipper.File, cap: number) => Math.min(cap, file.uncompressedSize);
  return {
    config: (await unpack(config, budget(config, JSON_ENTRY_MAX_BYTES))).toString('utf8'),
    metadata: metadata
      ? (await unpack(metadata, budget(metadata, JSON_ENTRY_MAX_BYTES))).toString('utf8')
      : undefined,
    weights: await unpack(weights, budget(weights, limits.maxBytes)),
  };
}
