// Decodes a stream of labelled image files concurrently into a DecodedDataset, with a bounded number
// in flight so memory stays flat however large the source is.
import { availableParallelism } from 'node:os';
import { ImageDecodeError, decodeImage, type DecodeOptions } from '../preprocess.js';
import {
  DatasetBuilder,
  isSkipped,
  type DecodedDataset,
  type LabelledFile,
  type SkippedEntry,
} from './decoded-dataset.js';

export interface DecodeFilesOptions extends DecodeOptions {
  /** Images decoded at once (default 4 to 8 by core count): sharp runs them on libuv threads. */
  concurrency?: number;
  /** Stop reading after this many images (not an error): for samples and quick checks. */
  maxImages?: number;
  /** Called after each image settles with the number of entries handled so far. */
  onProgress?: (handled: number) => void;
  signal?: AbortSignal;
}

export const DEFAULT_DECODE_CONCURRENCY = Math.min(8, Math.max(4, availableParallelism() * 2));

export async function decodeLabelledFiles(
  items: AsyncIterable<LabelledFile | SkippedEntry>,
  options: DecodeFilesOptions = {},
): Promise<DecodedDataset> {
  const concurrency = options.concurrency ?? DEFAULT_DECODE_CONCURRENCY;
  const maxImages = options.maxImages ?? Infinity;
  const decodeOptions: DecodeOptions =
    options.limitInputPixels === undefined ? {} : { limitInputPixels: options.limitInputPixels };
  const builder = new DatasetBuilder();
  const inFlight = new Set<Promise<void>>();
  let handled = 0;
  let images = 0;
  // Failures of ours (not bad images) are kept and rethrown once the loop stops pulling entries.
  let fatal: { error: unknown } | undefined;

  const decodeInto = async (slot: number, file: LabelledFile) => {
    try {
      builder.set(slot, await decodeImage(file.data, decodeOptions), file.label);
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      builder.skip({ name: file.name, reason: 'undecodable', detail: error.reason }, slot);
    }
    options.onProgress?.(++handled);
  };

  for await (const item of items) {
    options.signal?.throwIfAborted();
    if (isSkipped(item)) {
      builder.skip(item);
      continue;
    }
    if (images++ >= maxImages) break;
    const task: Promise<void> = decodeInto(builder.reserve(), item).then(
      () => void inFlight.delete(task),
      (error: unknown) => {
        inFlight.delete(task);
        fatal ??= { error };
      },
    );
    inFlight.add(task);
    // Not pulling the next entry while the pool is full is what bounds memory (and the zip stream).
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (fatal) break;
  }
  await Promise.all(inFlight);
  if (fatal) throw fatal.error;
  options.signal?.throwIfAborted();
  return builder.finish();
}
