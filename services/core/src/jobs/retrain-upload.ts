// The quick check of a retrain upload, from its ZIP central directory alone (nothing unpacked):
// what the gateway runs before accepting a file and the trainer runs again before decoding.
import { stat } from 'node:fs/promises';
import unzipper from 'unzipper';
import { classifyClassFolderPath } from '../dataset/class-folder-paths.js';
import {
  checkLocalHeaders,
  inspectZipEntries,
  UnsafeZipError,
  type UnsafeZipReason,
  type ZipLimits,
} from '../dataset/zip-safety.js';
import { LABELS } from '../labels.js';

export type UploadProblem =
  UnsafeZipReason | 'empty_file' | 'empty_zip' | 'unknown_label_folder' | 'no_images';

/** The upload cannot be used as it is; `message` says what to fix. Always the uploader's data. */
export class RetrainUploadError extends Error {
  constructor(
    readonly problem: UploadProblem,
    message: string,
    readonly entry?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetrainUploadError';
  }
}

export interface UploadSummary {
  entries: number;
  /** Unpacked bytes as the central directory declares them. */
  totalBytes: number;
  /** Files in label folders (not yet decoded: some may turn out not to be images). */
  images: number;
  perLabel: Record<string, number>;
}

const LABEL_LIST = LABELS.join(', ');

function fromUnsafeZip(error: UnsafeZipError): RetrainUploadError {
  const fixes: Partial<Record<UnsafeZipReason, string>> = {
    path_traversal: 'every entry must stay inside its class folder',
    absolute_path: 'entries must be relative paths such as cat/0001.jpg',
    too_many_entries: 'split the images into several uploads',
    too_many_bytes: 'split the images into several uploads',
    entry_too_large: 'resize or remove the large file',
    not_a_zip: 'upload a .zip file of class folders',
  };
  const fix = fixes[error.reason];
  return new RetrainUploadError(error.reason, fix ? `${error.message}; ${fix}` : error.message, error.entry, {
    cause: error,
  });
}

/**
 * Checks an uploaded ZIP (a file path) against the limits and the class-folder layout; throws
 * RetrainUploadError with the first problem. Files outside any folder are tolerated (reported
 * as skipped when decoding); folders that are not CIFAR-10 labels are refused, all named at once.
 */
export async function inspectRetrainUpload(
  path: string,
  limits: Readonly<ZipLimits>,
): Promise<UploadSummary> {
  if ((await stat(path)).size === 0) {
    throw new RetrainUploadError(
      'empty_file',
      'the uploaded file is empty (0 bytes); upload a ZIP of class folders',
    );
  }
  let directory: unzipper.CentralDirectory;
  try {
    directory = await unzipper.Open.file(path);
  } catch (error) {
    throw new RetrainUploadError(
      'not_a_zip',
      'the file is not a readable ZIP archive; upload a .zip file of class folders',
      undefined,
      { cause: error },
    );
  }
  let declared: { entries: number; totalBytes: number };
  try {
    declared = inspectZipEntries(directory.files, limits);
    await checkLocalHeaders(path, directory.files, directory.offsetToStartOfCentralDirectory);
  } catch (error) {
    if (error instanceof UnsafeZipError) throw fromUnsafeZip(error);
    throw error;
  }
  if (declared.entries === 0) {
    throw new RetrainUploadError('empty_zip', `the ZIP is empty; put images in folders named ${LABEL_LIST}`);
  }
  const perLabel: Record<string, number> = {};
  const unknown = new Set<string>();
  for (const file of directory.files) {
    if (file.type === 'Directory') continue;
    const classified = classifyClassFolderPath(file.path);
    if (classified.kind === 'image') {
      const label = LABELS[classified.label]!;
      perLabel[label] = (perLabel[label] ?? 0) + 1;
    } else if (classified.kind === 'skipped' && classified.entry.reason === 'unknown_class') {
      unknown.add(classified.entry.detail ?? classified.entry.name);
    }
  }
  if (unknown.size > 0) {
    const names = [...unknown].slice(0, 10).map((name) => JSON.stringify(name));
    throw new RetrainUploadError(
      'unknown_label_folder',
      `the ZIP has top-level folders that are not CIFAR-10 labels: ${names.join(', ')}` +
        `${unknown.size > 10 ? ` and ${unknown.size - 10} more` : ''}; name each folder after one of: ${LABEL_LIST}`,
    );
  }
  const images = Object.values(perLabel).reduce((sum, count) => sum + count, 0);
  if (images === 0) {
    throw new RetrainUploadError(
      'no_images',
      `the ZIP has no files inside class folders; put images in folders named ${LABEL_LIST} (for example cat/0001.jpg)`,
    );
  }
  return { entries: declared.entries, totalBytes: declared.totalBytes, images, perLabel };
}
