// A small typed view of one S3 bucket: put, get (whole or streamed), stat, list and remove, with
// "no such key" turned into NotFoundError. The registry and the upload store are built on it.
import type { Readable } from 'node:stream';
import type { Client } from 'minio';
import { isNoSuchKey, NotFoundError } from './registry-errors.js';

export interface StoredObject {
  body: Buffer;
  etag: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

function stripQuotes(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

export class ObjectStore {
  constructor(
    readonly client: Client,
    readonly bucket: string,
  ) {}

  /** Creates the bucket when it is missing. */
  async ensureBucket(region: string): Promise<'found' | 'created'> {
    if (await this.client.bucketExists(this.bucket)) return 'found';
    try {
      await this.client.makeBucket(this.bucket, region);
    } catch (error) {
      // Another process may have created it between the check and here.
      if ((error as { code?: string }).code === 'BucketAlreadyOwnedByYou') return 'found';
      throw error;
    }
    return 'created';
  }

  async bucketExists(): Promise<boolean> {
    return this.client.bucketExists(this.bucket);
  }

  async put(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<string> {
    const result = await this.client.putObject(this.bucket, key, body, undefined, {
      'Content-Type': contentType,
    });
    return stripQuotes(result.etag);
  }

  /** Streams `body` of `size` bytes (large uploads never sit in memory whole). */
  async putStream(key: string, body: Readable, size?: number): Promise<string> {
    const result = await this.client.putObject(this.bucket, key, body, size);
    return stripQuotes(result.etag);
  }

  async get(key: string): Promise<StoredObject> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    // getObject answers with the HTTP response, whose headers carry the ETag of exactly these bytes.
    const headers = (stream as Readable & { headers?: Record<string, string | undefined> }).headers;
    return { body: Buffer.concat(chunks), etag: stripQuotes(headers?.etag) };
  }

  async getStream(key: string): Promise<Readable> {
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      throw this.notFoundOr(error, key);
    }
  }

  /** Size and ETag, or undefined when the key does not exist. */
  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const stat = await this.client.statObject(this.bucket, key);
      return { key, size: stat.size, etag: stripQuotes(stat.etag), lastModified: stat.lastModified };
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const objects: ObjectInfo[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      const entry = item as { name?: string; size: number; etag?: string; lastModified?: Date };
      if (entry.name === undefined) continue;
      objects.push({
        key: entry.name,
        size: entry.size,
        etag: stripQuotes(entry.etag),
        lastModified: entry.lastModified ?? new Date(0),
      });
    }
    return objects;
  }

  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, key);
  }

  private notFoundOr(error: unknown, key: string): unknown {
    return isNoSuchKey(error)
      ? new NotFoundError('object', key, `s3://${this.bucket}/${key} does not exist`)
      : error;
  }
}
