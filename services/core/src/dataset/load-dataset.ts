// One entry point for every dataset form (class-folder ZIP or directory, CIFAR-10 binary batches),
// with a disk cache of decoded images so a rerun does not decode tens of thousands of JPEGs again.
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { PREPROCESS_VERSION } from '../preprocess.js';
import { findCifarBinaryFiles, readCifarBinary, type CifarSplit } from './cifar-binary.js';
import { listDirectoryFiles, readClassFolderDirectory } from './class-folder-directory.js';
import { readClassFolderZip, type ClassFolderZipOptions } from './class-folder-zip.js';
import type { DecodedDataset } from './decoded-dataset.js';
import type { DecodeFilesOptions } from './decode-files.js';
import { readDatasetFile, writeDatasetFile } from './dataset-file.js';

export type DatasetSource =
  | { kind: 'zip'; path: string }
  | { kind: 'directory'; path: string }
  | { kind: 'cifar-binary'; files: string[] };

export interface LoadDatasetOptions extends DecodeFilesOptions, ClassFolderZipOptions {
  /** Where decoded datasets are cached (for example `<DATA_DIR>/cache`); false for no cache. */
  cacheDir: string | false;
  /** Which CIFAR-10 binary batches a directory path means (default 'train'). */
  split?: CifarSplit;
}

export type LoadedDataset = DecodedDataset & { source: DatasetSource; fromCache: boolean };

/**
 * What a path holds: a `.zip` file, a `.bin` CIFAR-10 batch, a directory with the CIFAR-10 batches
 * of `split`, or else a directory of class folders.
 */
export async function resolveDatasetSource(
  path: string,
  split: CifarSplit = 'train',
): Promise<DatasetSource> {
  const absolute = resolve(path);
  const info = await stat(absolute);
  if (info.isFile()) {
    if (/\.zip$/i.test(absolute)) return { kind: 'zip', path: absolute };
    if (/\.bin$/i.test(absolute)) return { kind: 'cifar-binary', files: [absolute] };
    throw new Error(`${absolute}: expected a .zip of class folders or a CIFAR-10 .bin batch`);
  }
  const batches = await findCifarBinaryFiles(absolute, split);
  return batches ? { kind: 'cifar-binary', files: batches } : { kind: 'directory', path: absolute };
}

/** Reads and decodes a source with no cache. */
export async function readDataset(
  source: DatasetSource,
  options: DecodeFilesOptions & ClassFolderZipOptions = {},
): Promise<DecodedDataset> {
  switch (source.kind) {
    case 'zip':
      return readClassFolderZip(source.path, options);
    case 'directory':
      return readClassFolderDirectory(source.path, options);
    case 'cifar-binary':
      return readCifarBinary(source.files);
  }
}

// The cache key covers what the decoded bytes depend on: each input file's path, size and mtime,
// the preprocessing version, libvips (its decoders can change pixels) and the options that change
// which images are kept.
async function cacheKey(source: DatasetSource, options: LoadDatasetOptions): Promise<string> {
  const files =
    source.kind === 'zip'
      ? [source.path]
      : source.kind === 'directory'
        ? (await listDirectoryFiles(source.path)).map((file) => join(source.path, file))
        : source.files;
  const hash = createHash('sha256').update(
    JSON.stringify({
      kind: source.kind,
      preprocess: PREPROCESS_VERSION,
      vips: sharp.versions.vips,
      limitInputPixels: options.limitInputPixels,
      maxImages: options.maxImages,
      limits: options.limits,
    }),
  );
  for (const file of files) {
    const info = await stat(file);
    hash.update(`\n${file}\t${info.size}\t${info.mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 20);
}

/**
 * Loads a dataset, from the cache when an identical source was decoded before. CIFAR-10 binary
 * batches are never cached: reading them is already just a copy. A damaged cache file is rebuilt.
 */
export async function loadDataset(
  pathOrSource: string | DatasetSource,
  options: LoadDatasetOptions,
): Promise<LoadedDataset> {
  const source =
    typeof pathOrSource === 'string' ? await resolveDatasetSource(pathOrSource, options.split) : pathOrSource;
  if (options.cacheDir === false || source.kind === 'cifar-binary') {
    return { ...(await readDataset(source, options)), source, fromCache: false };
  }
  const name = basename(source.path).replace(/[^\w.-]/g, '_');
  const cacheFile = join(options.cacheDir, `${name}-${await cacheKey(source, options)}.vods`);
  const cached = await readDatasetFile(cacheFile).catch(() => undefined);
  if (cached) return { ...cached, source, fromCache: true };
  const dataset = await readDataset(source, options);
  await mkdir(options.cacheDir, { recursive: true });
  await writeDatasetFile(cacheFile, dataset);
  return { ...dataset, source, fromCache: false };
}
