// A multer storage engine that streams an uploaded file to a temporary file and hashes it on the
// way (SHA-256), so a large ZIP never sits in memory and its content address is known at once.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';

export interface HashedFile {
  path: string;
  size: number;
  sha256: string;
}

export class HashingDiskStorage implements StorageEngine {
  constructor(private readonly directory: string) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<Express.Multer.File> & HashedFile) => void,
  ): void {
    const path = join(this.directory, `${randomUUID()}.upload`);
    const hash = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    pipeline(file.stream, hasher, createWriteStream(path)).then(
      () => callback(null, { path, size, sha256: hash.digest('hex') }),
      (error: unknown) => void rm(path, { force: true }).finally(() => callback(error)),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    rm(file.path, { force: true }).then(
      () => callback(null),
      (error: unknown) => callback(error as Error),
    );
  }
}
