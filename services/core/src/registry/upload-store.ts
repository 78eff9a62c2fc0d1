// Retrain uploads in S3, content-addressed (uploads/<sha256>.zip): the same ZIP uploaded twice is
// stored once, and a job carries only the hash, never the file.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { S3Keys } from '../names.js';
import type { ObjectStore } from './object-store.js';

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface StoredUpload {
  sha256: string;
  key: string;
  size: number;
  /** False when an identical upload was already stored. */
  created: boolean;
}

export class UploadStore {
  constructor(private readonly store: ObjectStore) {}

  async put(zip: Buffer): Promise<StoredUpload> {
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const key = S3Keys.upload(sha256);
    if (await this.store.stat(key)) return { sha256, key, size: zip.length, created: false };
    await this.store.put(key, zip, 'application/zip');
    return { sha256, key, size: zip.length, created: true };
  }

  async get(sha256: string): Promise<Buffer> {
    return (await this.store.get(this.keyOf(sha256))).body;
  }

  /** Streams the upload; NotFoundError when there is none with that hash. */
  async getStream(sha256: string): Promise<Readable> {
    return this.store.getStream(this.keyOf(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.store.stat(this.keyOf(sha256))) !== undefined;
  }

  async remove(sha256: string): Promise<void> {
    await this.store.remove(this.keyOf(sha256));
  }

  private keyOf(sha256: string): string {
    if (!SHA256_PATTERN.test(sha256)) throw new RangeError(`not a sha256 hex digest: ${sha256}`);
    return S3Keys.upload(sha256);
  }
}
