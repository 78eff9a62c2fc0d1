// Reads a directory of class folders (`<root>/cat/0001.jpg`, ...), the unpacked twin of the ZIP form.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { classifyClassFolderPath } from './class-folder-paths.js';
import type { DecodedDataset, LabelledFile, SkippedEntry } from './decoded-dataset.js';
import { decodeLabelledFiles, type DecodeFilesOptions } from './decode-files.js';

/** Every regular file below `root` (symbolic links are not followed), as sorted '/'-separated paths. */
export async function listDirectoryFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Yields each image file with its label, and each skipped file, in sorted path order. */
export async function* iterateClassFolderDirectory(
  root: string,
): AsyncGenerator<LabelledFile | SkippedEntry> {
  for (const path of await listDirectoryFiles(root)) {
    const classified = classifyClassFolderPath(path);
    if (classified.kind === 'skipped') yield classified.entry;
    if (classified.kind !== 'image') continue;
    yield { name: path, label: classified.label, data: await readFile(join(root, path)) };
  }
}

export async function readClassFolderDirectory(
  root: string,
  options: DecodeFilesOptions = {},
): Promise<DecodedDataset> {
  return decodeLabelledFiles(iterateClassFolderDirectory(root), options);
}
