// The images the predict scenarios upload: real CIFAR-10 JPEGs read from test.zip at run time
// (VISIONOPS_TEST_DATA, default ../shared/datasets/cifar10) when present, generated PNGs and JPEGs
// otherwise. They are written to a directory outside the repository with a CSV of their paths,
// which artillery reads as its payload.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS } from '@visionops/core';
import { isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import { realDataFile, syntheticImage } from '@visionops/testkit';

export interface ImagePool {
  /** The CSV artillery takes with -p: one absolute image path per line. */
  csvPath: string;
  count: number;
  /** Where the images came from, for the report. */
  source: string;
}

export async function prepareImagePool(dir: string, perClass: number): Promise<ImagePool> {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  const testZip = realDataFile('test.zip');
  let source: string;
  if (testZip) {
    const seen = new Map<number, number>();
    for await (const item of iterateClassFolderZip(testZip)) {
      if (isSkipped(item)) continue;
      const count = seen.get(item.label) ?? 0;
      if (count >= perClass) continue;
      seen.set(item.label, count + 1);
      const path = join(dir, `${LABELS[item.label]}-${count}.jpg`);
      writeFileSync(path, item.data);
      paths.push(path);
      // Every class full: the rest of the archive need not be read.
      if (paths.length === perClass * LABELS.length) break;
    }
    source = `${paths.length} CIFAR-10 test JPEGs from ${testZip}`;
  } else {
    for (let label = 0; label < LABELS.length; label++) {
      for (let index = 0; index < perClass; index++) {
        // Alternate formats so both decoders are exercised, as real uploads would.
        const format = index % 2 === 0 ? 'jpeg' : 'png';
        const path = join(dir, `${LABELS[label]}-${index}.${format === 'jpeg' ? 'jpg' : 'png'}`);
        writeFileSync(path, await syntheticImage(label, index, { format }));
        paths.push(path);
      }
    }
    source = `${paths.length} generated 32x32 images (test.zip not found)`;
  }
  const csvPath = join(dir, 'images.csv');
  writeFileSync(csvPath, `${paths.join('\n')}\n`);
  return { csvPath, count: paths.length, source };
}
