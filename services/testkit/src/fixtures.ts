// Test helpers shared by every suite: synthetic images, class-folder ZIPs, CIFAR-10 binary batches,
// and where the real CIFAR-10 JPEGs are (VISIONOPS_TEST_DATA, default ../shared/datasets/cifar10).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import yazl from 'yazl';
import { LABELS } from '@visionops/core';
import { repoRoot } from '@visionops/core';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from '@visionops/core';
import { CIFAR_RECORD_BYTES, hwcToChw } from '@visionops/core/dataset';

export const realDataDir = resolve(
  process.env.VISIONOPS_TEST_DATA ?? join(repoRoot, '..', 'shared', 'datasets', 'cifar10'),
);

const announced = new Set<string>();

/**
 * A file of the real data set, or undefined when the folder is absent (tests then go synthetic).
 * Each test file says once which it got, so a run's output shows whether the real-data checks ran;
 * under CI=true (where the data set is always beside the checkout) a missing file is an error.
 */
export function realDataFile(name: 'train.zip' | 'test.zip'): string | undefined {
  const path = join(realDataDir, name);
  const found = existsSync(path);
  if (!found && process.env.CI === 'true') {
    throw new Error(
      `${path} is missing: CI runs the real-data tests (set VISIONOPS_TEST_DATA to the CIFAR-10 folder)`,
    );
  }
  if (!announced.has(name)) {
    announced.add(name);
    console.info(
      found
        ? `[real data] ${name} from ${realDataDir}`
        : `[synthetic data] ${name} not in ${realDataDir} (VISIONOPS_TEST_DATA): synthetic images instead`,
    );
  }
  return found ? path : undefined;
}

/** Deterministic 32x32 HWC pixels: a colour per label, a gradient per index, so images differ. */
export function syntheticPixels(label: number, index: number): Uint8Array {
  const pixels = new Uint8Array(PIXELS_PER_IMAGE);
  for (let p = 0; p < IMAGE_SIZE * IMAGE_SIZE; p++) {
    pixels[p * 3] = (label * 25 + p) % 256;
    pixels[p * 3 + 1] = (index * 7 + (p >> 5)) % 256;
    pixels[p * 3 + 2] = (label * 40 + index * 3) % 256;
  }
  return pixels;
}

export type SyntheticFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** An encoded image; PNG at 32x32 decodes back to exactly syntheticPixels(label, index). */
export async function syntheticImage(
  label: number,
  index: number,
  { format = 'png', size = IMAGE_SIZE }: { format?: SyntheticFormat; size?: number } = {},
): Promise<Buffer> {
  const image = sharp(syntheticPixels(label, index), {
    raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 3 },
  });
  return (size === IMAGE_SIZE ? image : image.resize(size, size)).toFormat(format).toBuffer();
}

export interface ZipEntrySpec {
  path: string;
  /** File contents; omit for a folder entry (path ending in '/'). */
  data?: Buffer | string;
  /** Deflate the entry (default false: stored, like the real CIFAR-10 zips). */
  compress?: boolean;
}

/**
 * Builds a ZIP in memory. yazl refuses unsafe names, so a hostile name is written as a same-length
 * placeholder and patched into the bytes afterwards (ZIP checksums cover data, not names).
 */
export async function buildZip(
  entries: readonly ZipEntrySpec[],
  hostileNames: Record<string, string> = {},
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.data === undefined) zip.addEmptyDirectory(entry.path);
    else zip.addBuffer(Buffer.from(entry.data), entry.path, { compress: entry.compress ?? false });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  let bytes = Buffer.concat(chunks);
  for (const [placeholder, hostile] of Object.entries(hostileNames)) {
    if (Buffer.byteLength(placeholder) !== Buffer.byteLength(hostile))
      throw new Error('names must have the same length');
    bytes = Buffer.from(bytes.toString('latin1').replaceAll(placeholder, hostile), 'latin1');
  }
  return bytes;
}

export interface ClassFolderZipSpec {
  /** Images per class (default 2). */
  perClass?: number;
  /** Class indices to include (default all ten). */
  classes?: readonly number[];
  /** Write folder entries such as `cat/` (default true). */
  folderEntries?: boolean;
  format?: SyntheticFormat;
  /** Further entries appended as they are (clutter, broken files, unknown folders). */
  extra?: readonly ZipEntrySpec[];
}

/** A class-folder ZIP of synthetic images, `<label>/<nnnn>.<ext>`, and the images in archive order. */
export async function buildClassFolderZip(spec: ClassFolderZipSpec = {}): Promise<{
  zip: Buffer;
  images: { path: string; label: number; index: number }[];
}> {
  const {
    perClass = 2,
    classes = LABELS.map((_, label) => label),
    folderEntries = true,
    format = 'png',
  } = spec;
  const entries: ZipEntrySpec[] = [];
  const images: { path: string; label: number; index: number }[] = [];
  for (const label of classes) {
    const folder = `${LABELS[label]!}/`;
    if (folderEntries) entries.push({ path: folder });
    for (let index = 0; index < perClass; index++) {
      const path = `${folder}${String(index).padStart(4, '0')}.${format === 'jpeg' ? 'jpg' : format}`;
      entries.push({ path, data: await syntheticImage(label, index, { format }) });
      images.push({ path, label, index });
    }
  }
  return { zip: await buildZip([...entries, ...(spec.extra ?? [])]), images };
}

/** Bytes of a CIFAR-10 binary batch holding the given HWC images and labels. */
export function buildCifarBinary(images: readonly Uint8Array[], labels: readonly number[]): Buffer {
  const batch = Buffer.alloc(images.length * CIFAR_RECORD_BYTES);
  images.forEach((image, i) => {
    batch[i * CIFAR_RECORD_BYTES] = labels[i]!;
    hwcToChw(image, batch, 0, i * CIFAR_RECORD_BYTES + 1);
  });
  return batch;
}
