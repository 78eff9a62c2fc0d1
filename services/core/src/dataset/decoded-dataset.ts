// The in-memory form every dataset reader produces: n images of 32x32x3 HWC uint8 with their labels,
// plus what was left out and why, so a retrain job can report it instead of failing.
import { NUM_CLASSES } from '../labels.js';
import { PIXELS_PER_IMAGE } from '../preprocess.js';

export type SkipReason = 'unknown_class' | 'not_in_class_folder' | 'undecodable';

export interface SkippedEntry {
  /** The entry's path inside the archive or folder. */
  name: string;
  reason: SkipReason;
  /** For 'unknown_class' the folder name; for 'undecodable' the ImageDecodeError reason. */
  detail?: string;
}

export interface DecodedDataset {
  /** n * 3072 bytes: image i is images.subarray(i * 3072, (i + 1) * 3072), HWC RGB. */
  images: Uint8Array;
  /** n class indices in LABELS order. */
  labels: Uint8Array;
  n: number;
  skipped: SkippedEntry[];
}

/** An encoded image file and the class its folder names, before decoding. */
export interface LabelledFile {
  name: string;
  label: number;
  data: Buffer;
}

export function isSkipped(item: LabelledFile | SkippedEntry): item is SkippedEntry {
  return 'reason' in item;
}

export function imageAt(dataset: DecodedDataset, index: number): Uint8Array {
  return dataset.images.subarray(index * PIXELS_PER_IMAGE, (index + 1) * PIXELS_PER_IMAGE);
}

/**
 * Collects decoded images into slots reserved in entry order, so concurrent decoding that finishes
 * out of order still yields a deterministic dataset; failed slots are squeezed out at the end.
 */
export class DatasetBuilder {
  private images = new Uint8Array(0);
  private labels = new Uint8Array(0);
  private filled = new Uint8Array(0);
  private reserved = 0;
  private readonly skipped: { order: number; entry: SkippedEntry }[] = [];

  constructor(initialCapacity = 1024) {
    this.grow(initialCapacity);
  }

  /** Reserves the next slot; its index keeps the entry's position in the source. */
  reserve(): number {
    if (this.reserved === this.labels.length) this.grow(this.labels.length * 2);
    return this.reserved++;
  }

  set(slot: number, rgb: Uint8Array, label: number): void {
    if (rgb.length !== PIXELS_PER_IMAGE) throw new RangeError(`image has ${rgb.length} bytes`);
    this.images.set(rgb, slot * PIXELS_PER_IMAGE);
    this.labels[slot] = label;
    this.filled[slot] = 1;
  }

  /** Records a skipped entry; pass the slot of a reserved image that failed, so order is kept. */
  skip(entry: SkippedEntry, slot?: number): void {
    // Without a slot the entry sorts before the next image; sort() is stable among equal orders.
    this.skipped.push({ order: slot ?? this.reserved, entry });
  }

  finish(): DecodedDataset {
    let n = 0;
    for (let slot = 0; slot < this.reserved; slot++) {
      if (!this.filled[slot]) continue;
      if (n !== slot) {
        this.images.copyWithin(n * PIXELS_PER_IMAGE, slot * PIXELS_PER_IMAGE, (slot + 1) * PIXELS_PER_IMAGE);
        this.labels[n] = this.labels[slot]!;
      }
      n++;
    }
    const skipped = this.skipped.sort((a, b) => a.order - b.order).map(({ entry }) => entry);
    // A copy trims the spare capacity, which can be nearly half of the buffer.
    return {
      images: this.images.slice(0, n * PIXELS_PER_IMAGE),
      labels: this.labels.slice(0, n),
      n,
      skipped,
    };
  }

  private grow(capacity: number): void {
    const images = new Uint8Array(capacity * PIXELS_PER_IMAGE);
    images.set(this.images);
    const labels = new Uint8Array(capacity);
    labels.set(this.labels);
    const filled = new Uint8Array(capacity);
    filled.set(this.filled);
    this.images = images;
    this.labels = labels;
    this.filled = filled;
  }
}

/** Images per class label, for cards and job results. */
export function countPerClass(labels: Uint8Array, n = labels.length): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < n; i++) counts[labels[i]!]!++;
  return counts;
}
