// Uploads in S3, content-addressed (uploads/<sha256>.<zip|h5|keras>): the same file uploaded twice
// is stored once, and a job carries only the key and the hash, never the file. One module owns an
// upload's way: its limits, storing it (the gateway hashed it while receiving), and the verified
// download a trainer runs before using it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import type { ZipLimits } from '../dataset/zip-safety.js';
import { S3Keys } from '../names.js';
import type { ObjectStore } from './object-store.js';
import { NotFoundError } from './registry-errors.js';

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export type UploadKind = 'zip' | 'h5' | 'keras';

/** A file on local disk, hashed while it was received. */
export interface ReceivedFile {
  path: string;
  size: number;
  sha256: string;
}

/** What a job names of its upload. */
export interface UploadRef {
  key: string;
  sha256: string;
  /** The most bytes the download accepts (the upload limit of its kind). */
  maxBytes: number;
}

/** The stored upload is not (or no longer) what the job expects: re-uploading is the only remedy. */
export class UploadMismatchError extends Error {
  override name = 'UploadMismatchError';
}

/** How far a retrain ZIP may unpack: what the gateway checks before accepting it and the trainer again. */
export function zipLimits(
  config: Pick<Config, 'RETRAIN_MAX_ZIP_ENTRIES' | 'RETRAIN_MAX_UNPACKED_BYTES'>,
): ZipLimits {
  return {
    maxEntries: config.RETRAIN_MAX_ZIP_ENTRIES,
    maxTotalBytes: config.RETRAIN_MAX_UNPACKED_BYTES,
    maxEntryBytes: Math.min(16 * 1024 * 1024, config.RETRAIN_MAX_UNPACKED_BYTES),
  };
}

export function uploadKey(sha256: string, kind: UploadKind): string {
  if (!SHA256_PATTERN.test(sha256)) throw new RangeError(`not a sha256 hex digest: ${sha256}`);
  return kind === 'zip' ? S3Keys.upload(sha256) : S3Keys.modelUpload(sha256, kind);
}

export class UploadStore {
  constructor(private readonly store: ObjectStore) {}

  /** Stores a received file under its hash, streaming; a file already stored is not sent again. */
  async storeFile(file: ReceivedFile, kind: UploadKind): Promise<{ key: string; created: boolean }> {
    const key = uploadKey(file.sha256, kind);
    if (await this.store.stat(key)) return { key, created: false };
    await this.store.putStream(key, createReadStream(file.path), file.size);
    return { key, created: true };
  }

  /** Stores bytes under their hash (uploads made by the services themselves). */
  async storeBytes(
    bytes: Buffer,
    kind: UploadKind,
  ): Promise<{ key: string; sha256: string; created: boolean }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = uploadKey(sha256, kind);
    if (await this.store.stat(key)) return { key, sha256, created: false };
    await this.store.put(key, bytes, 'application/octet-stream');
    return { key, sha256, created: true };
  }

  /**
   * Fetches an upload into a local file, streaming (never whole in memory), and checks that its
   * bytes still hash to the name it is stored under; returns its size. UploadMismatchError when it
   * is gone, too large or not what its name says.
   */
  async download(upload: UploadRef, destination: string, signal?: AbortSignal): Promise<number> {
    const hash = createHash('sha256');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > upload.maxBytes) {
          done(
            new UploadMismatchError(`${upload.key} is larger than the ${upload.maxBytes}-byte upload limit`),
          );
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    let source;
    try {
      source = await this.store.getStream(upload.key);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new UploadMismatchError(`${upload.key} is not stored (any more); upload the file again`);
      }
      throw error;
    }
    await pipeline(source, counter, createWriteStream(destination), signal ? { signal } : {});
    const actual = hash.digest('hex');
    if (actual !== upload.sha256) {
      throw new UploadMismatchError(
        `${upload.key} hashes to ${actual}, not to its name; upload the file again`,
      );
    }
    return bytes;
  }
}
