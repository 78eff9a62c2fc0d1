// Tests of the CIFAR-10 download against a local HTTP server (never the internet): md5 check,
// unpacking, and fast, helpful failures when the server cannot be reached.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCifarBinary, syntheticPixels } from '@visionops/testkit';
import { CIFAR_TEST_FILES, CIFAR_TRAIN_FILES } from './cifar-binary.js';
import { DatasetDownloadError, downloadCifar10 } from './cifar10-download.js';

describe('downloadCifar10', () => {
  let dir: string;
  let archive: Buffer;
  let md5: string;
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'visionops-fetch-'));
    const source = join(dir, 'source');
    await mkdir(join(source, 'cifar-10-batches-bin'), { recursive: true });
    for (const name of [...CIFAR_TRAIN_FILES, ...CIFAR_TEST_FILES]) {
      await writeFile(
        join(source, 'cifar-10-batches-bin', name),
        buildCifarBinary([syntheticPixels(1, 1)], [1]),
      );
    }
    await writeFile(join(source, 'cifar-10-batches-bin', 'readme.html'), '<p>not wanted</p>');
    await create({ gzip: true, cwd: source, file: join(dir, 'archive.tar.gz') }, ['cifar-10-batches-bin']);
    archive = await readFile(join(dir, 'archive.tar.gz'));
    md5 = createHash('md5').update(archive).digest('hex');
    server = createServer((request, response) => {
      if (request.url === '/hang') return; // accepts the connection, never answers
      if (request.url !== '/cifar.tar.gz') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/gzip' }).end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('when the archive matches its md5, then the batch files land flat in destDir', async () => {
    const destDir = join(dir, 'ok');
    const result = await downloadCifar10({ destDir, url: `${baseUrl}/cifar.tar.gz`, md5 });
    expect(result.downloaded).toBe(true);
    expect((await readdir(destDir)).sort()).toEqual([...CIFAR_TRAIN_FILES, ...CIFAR_TEST_FILES].sort());
    // A second run finds the files and does not download again.
    expect(await downloadCifar10({ destDir, url: `${baseUrl}/missing`, md5 })).toEqual({ downloaded: false });
  });

  it('when the md5 differs, then it fails and leaves nothing behind', async () => {
    const destDir = join(dir, 'bad-md5');
    const failure = downloadCifar10({ destDir, url: `${baseUrl}/cifar.tar.gz`, md5: '0'.repeat(32) });
    await expect(failure).rejects.toThrow(/md5 [0-9a-f]{32}, expected 0{32}/);
    expect(await readdir(destDir)).toEqual([]);
  });

  it('when the server answers 404, then the message says how to provide the files by hand', async () => {
    const failure = downloadCifar10({ destDir: join(dir, 'http'), url: `${baseUrl}/missing`, md5 });
    await expect(failure).rejects.toThrow(DatasetDownloadError);
    await expect(failure).rejects.toThrow(/HTTP 404.*place data_batch_1\.bin.*or set DATASET_DIR/s);
  });

  it('when nothing listens or the server never answers, then it fails fast', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    await expect(
      downloadCifar10({ destDir: join(dir, 'refused'), url: `http://127.0.0.1:${port}/x` }),
    ).rejects.toThrow(/could not reach .*ECONNREFUSED.*DATASET_DIR/s);
    await expect(
      downloadCifar10({ destDir: join(dir, 'hang'), url: `${baseUrl}/hang`, connectTimeoutMs: 300 }),
    ).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
