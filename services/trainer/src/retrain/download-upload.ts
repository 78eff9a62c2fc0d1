// Fetches a retrain upload from S3 into a local file, streaming (never whole in memory), and checks
// that its bytes still hash to the name it is stored under.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '@visionops/core/registry';

/** The stored upload is not what the job expects: re-uploading is the only remedy. */
export class UploadMismatchError extends Error {
  override name = 'UploadMismatchError';
}

export async function downloadUpload(
  store: ObjectStore,
  upload: { key: string; sha256: string; maxBytes: number },
  destination: string,
  signal?: AbortSignal,
): Promise<number> {
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
  await pipeline(
    await store.getStream(upload.key),
    counter,
    createWriteStream(destination),
    signal ? { signal } : {},
  );
  const actual = hash.digest('hex');
  if (actual !== upload.sha256) {
    throw new UploadMismatchError(`${upload.key} hashes to ${actual}, not to its name; upload the ZIP again`);
  }
  return bytes;
}
