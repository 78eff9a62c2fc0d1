// How a path inside a class-folder dataset (ZIP or directory) maps to a label: the top-level folder
// names the class; system clutter is ignored; anything else is reported, never thrown.
import { indexOfLabel } from '../labels.js';
import type { SkippedEntry } from './decoded-dataset.js';

export type ClassifiedPath =
  { kind: 'ignored' } | { kind: 'skipped'; entry: SkippedEntry } | { kind: 'image'; label: number };

// Files that operating systems and archivers add next to user files; never user data.
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini']);

/** `path` uses forward slashes and is relative to the dataset root. */
export function classifyClassFolderPath(path: string): ClassifiedPath {
  const segments = path.split('/').filter((segment) => segment !== '');
  const fileName = segments.at(-1);
  if (fileName === undefined || path.endsWith('/')) return { kind: 'ignored' };
  if (
    segments[0] === '__MACOSX' ||
    segments.some((segment) => segment.startsWith('.')) ||
    SYSTEM_FILES.has(fileName.toLowerCase())
  ) {
    return { kind: 'ignored' };
  }
  if (segments.length < 2) return { kind: 'skipped', entry: { name: path, reason: 'not_in_class_folder' } };
  const folder = segments[0]!;
  // Folder names are matched case-insensitively: "Cat/" is clearly meant as "cat/".
  const label = indexOfLabel(folder.toLowerCase());
  return label === undefined
    ? { kind: 'skipped', entry: { name: path, reason: 'unknown_class', detail: folder } }
    : { kind: 'image', label };
}
