// Class-folder ZIPs for retrain tests: slices of the real CIFAR-10 JPEGs when they are present,
// synthetic images otherwise, so the same test runs on any machine.
import { isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import { LABELS } from '@visionops/core';
import { buildClassFolderZip, buildZip, realDataFile, type ZipEntrySpec } from './fixtures.js';

/**
 * A ZIP with `perClass` images of each class in `classes`, taken from the real `file` after skipping
 * `skip` per class (so slices from one file can be kept apart), or synthetic when it is absent.
 */
export async function sliceZip(
  file: 'train.zip' | 'test.zip',
  perClass: number,
  { skip = 0, classes = LABELS.map((_, c) => c) }: { skip?: number; classes?: readonly number[] } = {},
): Promise<{ zip: Buffer; real: boolean }> {
  const path = realDataFile(file);
  if (!path) {
    const { zip } = await buildClassFolderZip({ perClass, classes, format: 'jpeg' });
    return { zip, real: false };
  }
  const seen = new Map<number, number>();
  const entries: ZipEntrySpec[] = [];
  const wanted = new Set(classes);
  for await (const item of iterateClassFolderZip(path)) {
    if (isSkipped(item) || !wanted.has(item.label)) continue;
    const count = seen.get(item.label) ?? 0;
    seen.set(item.label, count + 1);
    if (count >= skip && count < skip + perClass) entries.push({ path: item.name, data: item.data });
  }
  return { zip: await buildZip(entries), real: true };
}
