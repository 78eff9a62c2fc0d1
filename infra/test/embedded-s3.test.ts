// The embedded S3 server speaks enough of the S3 protocol for the minio client the services use.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startEmbeddedS3, type EmbeddedS3 } from '../src/embedded-s3.js';
import { createS3Client, ensureBucket, type S3Settings } from '../src/s3-bucket.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function listNames(settings: S3Settings, bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of createS3Client(settings).listObjectsV2(bucket, prefix, true)) {
    names.push((item as { name: string }).name);
  }
  return names.sort();
}

describe('embedded S3', () => {
  let directory: string;
  let server: EmbeddedS3 | undefined;
  const credentials = { accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'visionops-s3-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(directory, { recursive: true, force: true });
  });

  test('when the bucket is missing, then ensureBucket creates it and finds it the second time', async () => {
    server = await startEmbeddedS3({ directory, port: 0, ...credentials });
    const settings = { endpoint: server.endpoint, ...credentials };
    expect(await ensureBucket(settings, 'visionops')).toBe('created');
    expect(await ensureBucket(settings, 'visionops')).toBe('found');
    expect(await createS3Client(settings).bucketExists('visionops')).toBe(true);
  });

  test('when an object is put, then it can be read back and listed under its prefix', async () => {
    server = await startEmbeddedS3({ directory, port: 0, ...credentials });
    const settings = { endpoint: server.endpoint, ...credentials };
    await ensureBucket(settings, 'visionops');
    const client = createS3Client(settings);
    const body = JSON.stringify({ version: 'v1', promotedAt: '2024-01-01T00:00:00.000Z' });
    await client.putObject('visionops', 'models/production.json', body, undefined, {
      'Content-Type': 'application/json',
    });
    await client.putObject('visionops', 'models/v1/weights.bin', Buffer.alloc(70_000, 7));

    expect(await readAll(await client.getObject('visionops', 'models/production.json'))).toBe(body);
    expect((await client.statObject('visionops', 'models/v1/weights.bin')).size).toBe(70_000);
    expect(await listNames(settings, 'visionops', 'models/')).toEqual([
      'models/production.json',
      'models/v1/weights.bin',
    ]);
  });

  test('when the server restarts on the same directory, then the objects are still there', async () => {
    server = await startEmbeddedS3({ directory, port: 0, ...credentials });
    let settings = { endpoint: server.endpoint, ...credentials };
    await ensureBucket(settings, 'visionops');
    await createS3Client(settings).putObject('visionops', 'uploads/abc.zip', 'zip bytes');
    await server.stop();

    server = await startEmbeddedS3({ directory, port: 0, ...credentials });
    settings = { endpoint: server.endpoint, ...credentials };
    expect(await ensureBucket(settings, 'visionops')).toBe('found');
    expect(await readAll(await createS3Client(settings).getObject('visionops', 'uploads/abc.zip'))).toBe(
      'zip bytes',
    );
  });

  test('when the client uses another configured key pair, then requests are accepted', async () => {
    const custom = { accessKey: 'local-access', secretKey: 'local-secret-key', region: 'us-east-1' };
    server = await startEmbeddedS3({ directory, port: 0, ...custom });
    const settings = { endpoint: server.endpoint, ...custom };
    expect(await ensureBucket(settings, 'visionops')).toBe('created');
  });

  // s3rver checks the access key but not V4 signatures: fine for a local stack, not a security boundary.
  test('when the access key is unknown, then S3 refuses the request', async () => {
    server = await startEmbeddedS3({ directory, port: 0, ...credentials });
    const settings = { endpoint: server.endpoint, ...credentials, accessKey: 'nobody-has-this-key' };
    await expect(ensureBucket(settings, 'visionops')).rejects.toThrow(/credentials/i);
  });
});
