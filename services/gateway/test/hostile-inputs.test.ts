// Hostile requests over real HTTP against the real gateway, Redis and embedded S3: crafted ZIPs,
// decompression-bomb images, wrong bodies, stuffed and broken multipart, and slow clients. Each is
// refused with a 4xx that says what to fix (or cut off in time), and after each nothing stored has
// changed: the same models and production version, no job, no stored upload, no temporary file,
// and /predict still answers.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  buildClassFolderZip,
  buildZip,
  centralRecords,
  endOfCentralDirectory,
  eventually,
  renamedInLocalHeader,
  syntheticImage,
  withoutCentralRecord,
} from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'hostile-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const REQUEST_TIMEOUT_MS = 6000;
const MAX_UNPACKED = 1024 * 1024;
const MAX_PREDICT_BODY = 600 * 1024;
const uploadsDir = mkdtempSync(join(tmpdir(), 'visionops-hostile-'));
const previousTmpdir = process.env.TMPDIR;
let gw: TestGateway;
let before: { models: unknown; production: string | undefined };

beforeAll(async () => {
  // The retrain upload spools into TMPDIR/visionops-uploads: a directory of this file's own, so
  // leftovers are ours to count and no other test's.
  process.env.TMPDIR = uploadsDir;
  gw = await startTestGateway({
    env: {
      ADMIN_TOKEN,
      QUEUE_PREFIX: `test-${randomUUID()}`,
      RETRAIN_MAX_UPLOAD_BYTES: String(512 * 1024),
      RETRAIN_MAX_ZIP_ENTRIES: '100',
      RETRAIN_MAX_UNPACKED_BYTES: String(MAX_UNPACKED),
      MAX_IMAGE_BYTES: String(256 * 1024),
      PREDICT_MAX_BODY_BYTES: String(MAX_PREDICT_BODY),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
  });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
  before = await storedState();
});
afterEach(async () => {
  await expectNothingChanged();
});
afterAll(async () => {
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  rmSync(uploadsDir, { recursive: true, force: true });
});

async function storedState(): Promise<{ models: unknown; production: string | undefined }> {
  const models = await (await fetch(`${gw.url}/models`)).json();
  return { models, production: (await gw.storage.registry.getProduction())?.alias.version };
}

async function expectNothingChanged(): Promise<void> {
  expect(await storedState()).toEqual(before);
  expect(await (await fetch(`${gw.url}/jobs`)).json()).toEqual({ jobs: [] });
  expect(await gw.storage.store.list('uploads/')).toEqual([]);
  // The spool file of a refused upload is removed once its request is done (closing may lag a little).
  await eventually(() => readdirSync(join(uploadsDir, 'visionops-uploads')).length === 0, 5000);
  const form = imageForm('file', [{ name: 'ok.png', data: await syntheticImage(2, 2) }]);
  const prediction = await fetch(`${gw.url}/predict`, { method: 'POST', body: form });
  expect(prediction.status).toBe(200);
  expect(((await prediction.json()) as { modelVersion: string }).modelVersion).toBe(before.production);
}

interface ErrorBody {
  error: { code: string; message: string };
}

async function expectRefused(response: Response, status: number, code: string, message: RegExp) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const { error } = JSON.parse(text) as ErrorBody;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
  expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules/);
}

function retrain(zip: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'upload.zip');
  return fetch(`${gw.url}/retrain`, { method: 'POST', headers: admin, body: form });
}

/** A ZIP from yazl with per-entry modes (yazl writes a Unix host and the mode in the high bits). */
async function zipWithModes(entries: { path: string; data: Buffer; mode: number }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(entry.data, entry.path, { mode: entry.mode, compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Clears the "names are UTF-8" flag (bit 11) in every local and central header, as old tools write. */
function withoutUtf8Flag(zip: Buffer): Buffer {
  const bytes = Buffer.from(zip);
  for (const { at, localHeader } of centralRecords(bytes)) {
    bytes.writeUInt16LE(bytes.readUInt16LE(at + 8) & ~0x800, at + 8);
    bytes.writeUInt16LE(bytes.readUInt16LE(localHeader + 6) & ~0x800, localHeader + 6);
  }
  return bytes;
}

/** Every occurrence of `from` replaced by `to` (same length), e.g. a name in both of its headers. */
function replaceBytes(bytes: Buffer, from: Buffer, to: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + 1)) to.copy(out, at);
  return out;
}

/** A JPEG whose frame header claims width x height pixels (65535 at most); the data stays tiny. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await syntheticImage(4, 4, { format: 'jpeg' }));
  for (let at = 2; at < jpeg.length - 9;) {
    if (jpeg[at] !== 0xff) throw new Error('lost the JPEG marker chain');
    const marker = jpeg[at + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) {
      jpeg.writeUInt16BE(height, at + 5);
      jpeg.writeUInt16BE(width, at + 7);
      return jpeg;
    }
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  throw new Error('no frame header');
}

describe('crafted ZIPs to POST /retrain', () => {
  const image = () => syntheticImage(3, 1);
  const cases: [string, () => Promise<Buffer>, string, RegExp][] = [
    [
      'a Windows drive path (absolute)',
      async () => buildZip([{ path: 'xx/evil.png', data: await image() }], { 'xx/evil.png': 'C:/evil.png' }),
      'absolute_path',
      /absolute path.*relative paths such as cat\/0001\.jpg/,
    ],
    [
      'a traversal written with backslashes',
      async () =>
        buildZip([{ path: 'cat/aa/aa/evil.png', data: await image() }], {
          'cat/aa/aa/evil.png': 'cat\\..\\..\\evil.png',
        }),
      'backslash',
      /backslash; use a ZIP tool that writes "\/" separators/,
    ],
    [
      'a traversal inside a folder entry',
      async () =>
        buildZip([{ path: 'cat/xx/' }, { path: 'cat/a.png', data: await image() }], { 'cat/xx/': 'cat/../' }),
      'path_traversal',
      /contains ".." \("cat\/\.\.\/"\); every entry must stay inside its class folder/,
    ],
    [
      'a symbolic link (S_IFLNK in the external attributes)',
      async () =>
        zipWithModes([
          { path: 'cat/a.png', data: await image(), mode: 0o100644 },
          { path: 'cat/link.png', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
        ]),
      'symlink',
      /symbolic link; add the image files themselves \("cat\/link\.png"\)/,
    ],
    [
      'two entries with one name',
      async () =>
        buildZip(
          [
            { path: 'cat/a.png', data: await image() },
            { path: 'cat/b.png', data: await syntheticImage(3, 2) },
          ],
          { 'cat/b.png': 'cat/a.png' },
        ),
      'duplicate_name',
      /same name.*"cat\/a\.png"/,
    ],
    [
      'a name in a legacy code page (not UTF-8, no UTF-8 flag)',
      async () =>
        withoutUtf8Flag(
          replaceBytes(
            await buildZip([{ path: 'cat/X.png', data: await image() }]),
            Buffer.from('cat/X.png'),
            Buffer.from('cat/\x81.png', 'latin1'),
          ),
        ),
      'non_utf8_name',
      /not UTF-8.*re-create the ZIP with a tool that writes UTF-8 names/,
    ],
    [
      'a ZIP whose local header names another file than its central directory (cat/a.png read as dog/a.png)',
      async () =>
        renamedInLocalHeader(
          await buildZip([
            { path: 'cat/a.png', data: await image() },
            { path: 'cat/b.png', data: await syntheticImage(3, 2) },
          ]),
          0,
          'dog/a.png',
        ),
      'inconsistent_zip',
      /do not match its central directory.*"cat\/a\.png".*local header names "dog\/a\.png"/,
    ],
    [
      'a ZIP with an entry its central directory does not list (a hidden dog/x.png)',
      async () =>
        withoutCentralRecord(
          await buildZip([
            { path: 'dog/x.png', data: await image() },
            { path: 'cat/a.png', data: await syntheticImage(3, 2) },
          ]),
          0,
        ),
      'inconsistent_zip',
      /do not match its central directory.*"cat\/a\.png".*bytes before it are not a listed entry/,
    ],
    [
      'a bomb by compression ratio (entries each under the limit, 1000:1, too many bytes in all)',
      () =>
        buildZip(
          Array.from({ length: 6 }, (_, i) => ({
            path: `cat/${i}.png`,
            data: Buffer.alloc(200 * 1024),
            compress: true,
          })),
        ),
      'too_many_bytes',
      /unpacks to too many bytes: more than 1048576 bytes; split the images/,
    ],
    [
      'a bomb by entry count (thousands of empty entries)',
      () => buildZip(Array.from({ length: 1000 }, (_, i) => ({ path: `cat/${i}.png`, data: '' }))),
      'too_many_entries',
      /too many entries: more than 100; split the images/,
    ],
    [
      'an end record that claims 65535 entries but holds one',
      async () => {
        const zip = Buffer.from(await buildZip([{ path: 'cat/a.png', data: await image() }]));
        const eocd = endOfCentralDirectory(zip);
        zip.writeUInt16LE(0xffff, eocd + 8);
        zip.writeUInt16LE(0xffff, eocd + 10);
        return zip;
      },
      'not_a_zip',
      /not a readable ZIP archive; upload a \.zip file/,
    ],
    ['a PNG named upload.zip', () => image(), 'not_a_zip', /not a readable ZIP archive/],
    [
      'a ZIP cut off halfway',
      async () => {
        const { zip } = await buildClassFolderZip({ perClass: 1 });
        return zip.subarray(0, Math.floor(zip.length / 2));
      },
      'not_a_zip',
      /not a readable ZIP archive/,
    ],
  ];
  test.each(cases)(
    'when the upload is %s, then 400 says what to fix',
    async (_name, build, code, message) => {
      await expectRefused(await retrain(await build()), 400, code, message);
    },
  );
});

describe('decompression-bomb images to POST /predict', () => {
  test('when a JPEG header claims 60000 x 60000 pixels, then 415 image_too_many_pixels', async () => {
    const bomb = await jpegClaiming(60_000, 60_000);
    expect(bomb.length).toBeLessThan(10_000);
    const form = imageForm('file', [{ name: 'bomb.jpg', data: bomb, type: 'image/jpeg' }]);
    await expectRefused(
      await fetch(`${gw.url}/predict`, { method: 'POST', body: form }),
      415,
      'image_too_many_pixels',
      /too large/,
    );
  });
});

describe('bodies that are not what the route takes', () => {
  const bodies: [string, string, string][] = [
    ['application/json', '{"image":"aGVsbG8="}', 'application/json'],
    ['application/x-www-form-urlencoded', 'file=aGVsbG8%3D&epochs=2', 'application/x-www-form-urlencoded'],
    ['text/plain', 'just some text', 'text/plain'],
  ];
  test.each(bodies)(
    'when /predict gets %s, then 400 no_file asks for multipart',
    async (type, body, named) => {
      const response = await fetch(`${gw.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      await expectRefused(response, 400, 'no_file', new RegExp(`multipart/form-data.*this body is ${named}`));
    },
  );
  test.each(bodies)(
    'when /retrain gets %s, then 400 missing_file asks for multipart',
    async (type, body, named) => {
      const response = await fetch(`${gw.url}/retrain`, {
        method: 'POST',
        headers: { ...admin, 'content-type': type },
        body,
      });
      await expectRefused(
        response,
        400,
        'missing_file',
        new RegExp(`multipart/form-data.*this body is ${named}`),
      );
    },
  );

  test('when /retrain gets JSON that does not parse or is too large, then 400 and 413', async () => {
    const headers = { ...admin, 'content-type': 'application/json' };
    await expectRefused(
      await fetch(`${gw.url}/retrain`, { method: 'POST', headers, body: '{"epochs": 2' }),
      400,
      'invalid_json',
      /not valid JSON/,
    );
    const big = JSON.stringify({ padding: 'x'.repeat(200 * 1024) });
    await expectRefused(
      await fetch(`${gw.url}/retrain`, { method: 'POST', headers, body: big }),
      413,
      'payload_too_large',
      /too large/,
    );
  });
});

describe('stuffed and broken multipart', () => {
  function manyFields(count: number): FormData {
    const form = new FormData();
    for (let i = 0; i < count; i++) form.append(`field${i}`, 'x');
    return form;
  }

  test('when /predict gets thousands of fields, then 400 too_many_fields names the fields to send', async () => {
    const form = manyFields(5000);
    form.append('file', new Blob([new Uint8Array(await syntheticImage(1, 1))]), 'a.png');
    await expectRefused(
      await fetch(`${gw.url}/predict`, { method: 'POST', body: form }),
      400,
      'too_many_fields',
      /too many fields; send only one image in "file" or several in "files"/,
    );
  });

  test('when /retrain gets a ZIP followed by thousands of fields, then 400 and its spooled file is removed', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1 });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(zip)]), 'upload.zip');
    for (let i = 0; i < 5000; i++) form.append(`field${i}`, 'x');
    await expectRefused(
      await fetch(`${gw.url}/retrain`, { method: 'POST', headers: admin, body: form }),
      400,
      'too_many_fields',
      /send only the ZIP in "file" and optionally "epochs"/,
    );
  });

  test('when a form field value is huge, then 400 field_too_large names it', async () => {
    const form = new FormData();
    form.append('epochs', '2'.repeat(100_000));
    await expectRefused(
      await fetch(`${gw.url}/retrain`, { method: 'POST', headers: admin, body: form }),
      400,
      'field_too_large',
      /"epochs" is too long/,
    );
  });

  test('when a /retrain multipart body ends inside the ZIP, then 400 invalid_multipart and nothing is kept', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1 });
    const body = Buffer.concat([
      Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\n'),
      zip,
    ]);
    await expectRefused(
      await fetch(`${gw.url}/retrain`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'multipart/form-data; boundary=XYZ' },
        body,
      }),
      400,
      'invalid_multipart',
      /could not be read/,
    );
  });
});

/**
 * Sends `head` on a raw connection, then writes `chunk` again and again (as HTTP chunks when
 * `chunked`) until the server answers (or, `untilClosed`, closes); resolves with the answer and the
 * bytes sent.
 */
function floodingClient(
  head: string,
  chunk: Buffer,
  chunked: boolean,
  { untilClosed = false }: { untilClosed?: boolean } = {},
): Promise<{ reply: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    let reply = '';
    let sent = 0;
    const frame = chunked
      ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
      : chunk;
    const pump = () => {
      while ((untilClosed || reply === '') && socket.writable && sent < 64 * MAX_PREDICT_BODY) {
        sent += chunk.length;
        if (!socket.write(frame)) return;
      }
    };
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('drain', pump);
    socket.on('data', (data: Buffer) => (reply += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ reply, sent }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the flooding connection open'));
    }, 15_000).unref();
  });
}

describe('oversized /predict bodies', () => {
  const head = (length: string) =>
    'POST /predict HTTP/1.1\r\nHost: gw\r\nContent-Type: multipart/form-data; boundary=XYZ\r\n' +
    `${length}\r\n\r\n`;

  test('when the declared length is over PREDICT_MAX_BODY_BYTES, then 413 request_too_large before the body is read', async () => {
    const { reply } = await floodingClient(
      head(`Content-Length: ${100 * MAX_PREDICT_BODY}`),
      Buffer.alloc(64 * 1024),
      false,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toMatch(/connection: close/i);
    expect(reply).toContain('"code":"request_too_large"');
    expect(reply).toContain(
      `at most 0.6 MiB (${MAX_PREDICT_BODY} bytes) in all; send fewer or smaller images`,
    );
  });

  test('when a chunked body goes on past PREDICT_MAX_BODY_BYTES, then 413 request_too_large and the connection is closed', async () => {
    // Images of 200 KiB each, every one under MAX_IMAGE_BYTES: only the total is too much.
    const part = Buffer.concat([
      Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\n'),
      Buffer.alloc(200 * 1024, 1),
      Buffer.from('\r\n'),
    ]);
    const { reply, sent } = await floodingClient(head('Transfer-Encoding: chunked'), part, true);
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toContain('"code":"request_too_large"');
    // Cut off near the limit, not after the client had sent what it liked.
    expect(sent).toBeLessThan(16 * MAX_PREDICT_BODY);
  });

  test('when a chunked body that is not multipart is refused at once and keeps coming past the limit, then the connection is cut and the gateway lives on', async () => {
    const { reply, sent } = await floodingClient(
      'POST /predict HTTP/1.1\r\nHost: gw\r\nContent-Type: application/octet-stream\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
      Buffer.alloc(64 * 1024, 1),
      true,
      { untilClosed: true },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('"code":"no_file"');
    expect(sent).toBeGreaterThan(MAX_PREDICT_BODY);
    expect(sent).toBeLessThan(16 * MAX_PREDICT_BODY);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });

  test('when several images together stay under the limit, then they are classified', async () => {
    const form = new FormData();
    for (let i = 0; i < 3; i++)
      form.append('files', new Blob([new Uint8Array(await syntheticImage(i, i))]), `${i}.png`);
    const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { results: unknown[] }).results).toHaveLength(3);
  });
});

/** Opens a raw connection, sends `head`, then one byte of `trickle` every `everyMs`; resolves on close. */
function slowClient(head: string, trickle: string, everyMs: number): Promise<{ ms: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    let reply = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!);
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, reply });
    });
    // A bound for the test itself: a server that never cuts the client fails here.
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the slow connection open'));
    }, REQUEST_TIMEOUT_MS * 4).unref();
  });
}

describe('slow clients', () => {
  test('when an upload body trickles in slower than REQUEST_TIMEOUT_MS allows, then 408 and the connection is closed in time', async () => {
    const head =
      'POST /retrain HTTP/1.1\r\nHost: gw\r\n' +
      `Authorization: Bearer ${ADMIN_TOKEN}\r\n` +
      'Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 100000\r\n\r\n' +
      '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK';
    const { ms, reply } = await slowClient(head, 'x'.repeat(1000), 200);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
  });

  test('when headers trickle in (slowloris), then the connection is closed within the header timeout', async () => {
    const { ms, reply } = await slowClient(
      'GET /health HTTP/1.1\r\nHost: gw\r\n',
      'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa',
      200,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
  });
});
