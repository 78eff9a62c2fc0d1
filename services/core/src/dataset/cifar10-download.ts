// Downloads the official CIFAR-10 binary release into the dataset folder, checks its md5 and
// unpacks the batch files. Offline it fails within seconds and says how to provide the files.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar';
import { CIFAR_TEST_FILES, CIFAR_TRAIN_FILES, findCifarBinaryFiles } from './cifar-binary.js';

export const CIFAR10_BINARY_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_BINARY_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

export class DatasetDownloadError extends Error {
  override name = 'DatasetDownloadError';
}

export interface DownloadCifar10Options {
  destDir: string;
  url?: string;
  md5?: string;
  /** Time allowed until the server answers (default 10 s): offline must fail fast. */
  connectTimeoutMs?: number;
  /** Time allowed without receiving a byte once the download runs (default 60 s). */
  idleTimeoutMs?: number;
  log?: (message: string) => void;
}

function manualHint(destDir: string): string {
  const files = [...CIFAR_TRAIN_FILES, ...CIFAR_TEST_FILES].join(', ');
  return (
    `To continue without the download, unpack cifar-10-binary.tar.gz by hand and place ${files} ` +
    `in ${destDir}, or set DATASET_DIR to a folder that already holds them.`
  );
}

/** Returns the batch files, downloading and unpacking the archive only when they are not there yet. */
export async function downloadCifar10(options: DownloadCifar10Options): Promise<{ downloaded: boolean }> {
  const { destDir, url = CIFAR10_BINARY_URL, md5 = CIFAR10_BINARY_MD5, log = () => {} } = options;
  if ((await findCifarBinaryFiles(destDir, 'train')) && (await findCifarBinaryFiles(destDir, 'test'))) {
    log(`CIFAR-10 binary batches already present in ${destDir}`);
    return { downloaded: false };
  }
  await mkdir(destDir, { recursive: true });
  const archive = join(destDir, 'cifar-10-binary.tar.gz.part');
  const controller = new AbortController();
  let timer = setTimeout(
    () => controller.abort(new Error('no answer in time')),
    options.connectTimeoutMs ?? 10_000,
  );
  const fail = (what: string, cause?: unknown) =>
    new DatasetDownloadError(`${what}. ${manualHint(destDir)}`, cause === undefined ? undefined : { cause });
  try {
    log(`downloading ${url} ...`);
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      const reason =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
      throw fail(`could not reach ${url} (${controller.signal.aborted ? 'timed out' : reason})`, error);
    }
    if (!response.ok || !response.body) throw fail(`${url} answered HTTP ${response.status}`);
    const hash = createHash('md5');
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const watch = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        // Any byte received restarts the idle clock; a stalled download is aborted.
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new Error('download stalled')), idleMs);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body), watch, createWriteStream(archive));
    } catch (error) {
      throw fail(`the download from ${url} broke off`, error);
    }
    const actual = hash.digest('hex');
    if (actual !== md5) throw fail(`the downloaded archive has md5 ${actual}, expected ${md5}`);
    log('md5 verified; unpacking');
    // Only the batch files are taken from the archive, flattened into destDir.
    await extract({
      file: archive,
      cwd: destDir,
      strip: 1,
      filter: (path) => /^cifar-10-batches-bin\/[\w.]+\.(bin|txt)$/.test(path),
    });
    if (!(await findCifarBinaryFiles(destDir, 'train')) || !(await findCifarBinaryFiles(destDir, 'test'))) {
      throw fail('the archive did not contain the CIFAR-10 batch files');
    }
    log(`CIFAR-10 binary batches are in ${destDir}`);
    return { downloaded: true };
  } finally {
    clearTimeout(timer);
    await rm(archive, { force: true });
  }
}
