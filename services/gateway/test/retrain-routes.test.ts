// POST /retrain and the /jobs routes over HTTP against the real gateway, Redis and embedded S3,
// with no trainer running: jobs stay queued, so what the gateway alone decides is what is tested.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S3Keys } from '@visionops/core';
import { buildClassFolderZip, buildZip, syntheticImage } from '@visionops/testkit';
import { startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'retrain-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    env: {
      ADMIN_TOKEN,
      QUEUE_PREFIX: `test-${randomUUID()}`,
      RETRAIN_MAX_UPLOAD_BYTES: String(256 * 1024),
      RETRAIN_MAX_ZIP_ENTRIES: '50',
      RETRAIN_MAX_UNPACKED_BYTES: String(1024 * 1024),
    },
  });
});
afterAll(async () => {
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

function zipForm(zip: Buffer, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(zip)], { type: 'application/zip' }), 'upload.zip');
  return form;
}

function retrain(body: FormData, headers: Record<string, string> = admin): Promise<Response> {
  return fetch(`${gw.url}/retrain`, { method: 'POST', headers, body });
}

async function storedUploads(): Promise<string[]> {
  return (await gw.storage.store.list('uploads/')).map((object) => object.key);
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('POST /retrain', () => {
  test('when no token or a wrong one is sent, then 401 and 403', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1 });
    expect((await retrain(zipForm(zip), {})).status).toBe(401);
    expect((await retrain(zipForm(zip), { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(
      403,
    );
  });

  const hostile: [string, () => Promise<Buffer>, string, RegExp][] = [
    [
      'an entry escapes its folder with ..',
      () =>
        buildZip([{ path: 'cat/aa/aa/evil.png', data: 'x' }], { 'cat/aa/aa/evil.png': 'cat/../../evil.png' }),
      'path_traversal',
      /inside its class folder/,
    ],
    [
      'an entry has an absolute path',
      () => buildZip([{ path: 'xetc/passwd', data: 'x' }], { 'xetc/passwd': '/etc/passwd' }),
      'absolute_path',
      /relative paths/,
    ],
    [
      'an entry uses backslashes',
      () => buildZip([{ path: 'cat/x/a.png', data: 'x' }], { 'cat/x/a.png': 'cat\\x\\a.png' }),
      'backslash',
      /backslash/,
    ],
    [
      'a folder is not a label',
      async () =>
        (await buildClassFolderZip({ perClass: 1, extra: [{ path: 'kittens/a.png', data: 'x' }] })).zip,
      'unknown_label_folder',
      /"kittens".*airplane, automobile/,
    ],
    [
      'there are no images in class folders',
      () => buildZip([{ path: 'readme.txt', data: 'x' }]),
      'no_images',
      /no files inside class folders/,
    ],
    [
      'it holds too many entries',
      () => buildZip(Array.from({ length: 60 }, (_, i) => ({ path: `cat/${i}.png`, data: 'x' }))),
      'too_many_entries',
      /too many entries/,
    ],
    [
      'it unpacks to too many bytes (zip bomb)',
      () => buildZip([{ path: 'cat/bomb.png', data: Buffer.alloc(2 * 1024 * 1024), compress: true }]),
      'entry_too_large',
      /too many bytes/,
    ],
    [
      'it holds another archive',
      () => buildZip([{ path: 'cat/more.zip', data: 'PK' }]),
      'nested_archive',
      /another archive/,
    ],
    [
      'it is not a ZIP',
      () => Promise.resolve(Buffer.from('%PDF-1.4 definitely not a zip')),
      'not_a_zip',
      /not a readable ZIP/,
    ],
    ['it is an empty ZIP', () => buildZip([]), 'empty_zip', /empty/],
    ['it is an empty file', () => Promise.resolve(Buffer.alloc(0)), 'empty_file', /empty \(0 bytes\)/],
  ];
  test.each(hostile)(
    'when %s, then 400 says what to fix and nothing is stored or queued',
    async (_name, build, code, message) => {
      const response = await retrain(zipForm(await build()));
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(await storedUploads()).toEqual([]);
      expect(await (await fetch(`${gw.url}/jobs`)).json()).toEqual({ jobs: [] });
    },
  );

  test('when the upload is larger than RETRAIN_MAX_UPLOAD_BYTES, then 413', async () => {
    const zip = await buildZip([{ path: 'cat/big.png', data: Buffer.alloc(300 * 1024, 7) }]);
    const response = await retrain(zipForm(zip));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('upload_too_large');
    expect(await storedUploads()).toEqual([]);
  });

  test('when epochs or the file field are wrong, then 400 names the field', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1 });
    const tooMany = await retrain(zipForm(zip, { epochs: '51' }));
    expect(tooMany.status).toBe(400);
    expect((await errorOf(tooMany)).message).toMatch(/epochs must be at most 50/);
    const badPromote = await retrain(zipForm(zip, { promote: 'yolo' }));
    expect(badPromote.status).toBe(400);
    expect((await errorOf(badPromote)).message).toMatch(/promote must be gate, shadow or canary/);
    const badPercent = await retrain(zipForm(zip, { promote: 'canary', rolloutPercent: '150' }));
    expect(badPercent.status).toBe(400);
    expect((await errorOf(badPercent)).message).toMatch(/rolloutPercent must be at most 100/);
    const noFile = new FormData();
    noFile.append('epochs', '2');
    const missing = await retrain(noFile);
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).code).toBe('missing_file');
  });
});

describe('accepted uploads and /jobs', () => {
  test('when a valid ZIP is uploaded twice while queued, then both answer with the same job, stored once by hash', async () => {
    const { zip } = await buildClassFolderZip({
      perClass: 2,
      extra: [{ path: 'cat/extra.png', data: await syntheticImage(3, 9) }],
    });
    const first = await retrain(zipForm(zip, { epochs: '2' }));
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as {
      jobId: string;
      statusUrl: string;
      existing: boolean;
      images: number;
    };
    expect(accepted).toMatchObject({ statusUrl: `/jobs/${accepted.jobId}`, existing: false, images: 21 });
    const again = (await (await retrain(zipForm(zip, { epochs: '2' }))).json()) as {
      jobId: string;
      existing: boolean;
    };
    expect(again).toMatchObject({ jobId: accepted.jobId, existing: true });
    expect(await storedUploads()).toHaveLength(1);
    expect((await storedUploads())[0]).toMatch(/^uploads\/[0-9a-f]{64}\.zip$/);

    const status = await fetch(`${gw.url}${accepted.statusUrl}`);
    expect(status.status).toBe(200);
    const job = (await status.json()) as {
      state: string;
      epochs: number;
      upload: { sha256: string };
      attempts: { max: number };
    };
    expect(job).toMatchObject({ state: 'queued', epochs: 2, attempts: { max: 3 } });
    expect(S3Keys.upload(job.upload.sha256)).toBe((await storedUploads())[0]);

    const list = (await (await fetch(`${gw.url}/jobs`)).json()) as { jobs: { id: string }[] };
    expect(list.jobs.map((entry) => entry.id)).toContain(accepted.jobId);

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/visionops_retrain_jobs\{state="waiting"\} [1-9]/);
  });

  test('when a ZIP is uploaded with promote: canary, then the queued job carries it and its view says so', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1, classes: [4, 5] });
    const response = await retrain(zipForm(zip, { promote: 'canary', rolloutPercent: '15' }));
    expect(response.status).toBe(202);
    const { jobId, statusUrl } = (await response.json()) as { jobId: string; statusUrl: string };
    const view = (await (await fetch(`${gw.url}${statusUrl}`)).json()) as { promote: string };
    expect(view.promote).toBe('canary');
    const queued = (await (await fetch(`${gw.url}/jobs`)).json()) as {
      jobs: { id: string; promote: string }[];
    };
    expect(queued.jobs.find((job) => job.id === jobId)?.promote).toBe('canary');
    const key = `${gw.gateway.config.QUEUE_PREFIX}:retrain:${jobId}`;
    expect(JSON.parse((await gw.storage.redis.hget(key, 'data'))!)).toMatchObject({
      promote: 'canary',
      rolloutPercent: 15,
    });
  });

  test('when a queued job is cancelled, then it is removed, reads as cancelled, and a second cancel changes nothing', async () => {
    const { zip } = await buildClassFolderZip({ perClass: 1, classes: [1, 2] });
    const { jobId } = (await (await retrain(zipForm(zip))).json()) as { jobId: string };
    expect((await fetch(`${gw.url}/jobs/${jobId}`, { method: 'DELETE' })).status).toBe(401);
    const cancelled = await fetch(`${gw.url}/jobs/${jobId}`, { method: 'DELETE', headers: admin });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ id: jobId, state: 'cancelled' });
    expect(await (await fetch(`${gw.url}/jobs/${jobId}`)).json()).toMatchObject({ state: 'cancelled' });
    const listedAs = async () =>
      ((await (await fetch(`${gw.url}/jobs`)).json()) as { jobs: { id: string; state: string }[] }).jobs
        .filter((entry) => entry.id === jobId)
        .map((entry) => entry.state);
    expect(await listedAs()).toEqual(['cancelled']);
    expect((await fetch(`${gw.url}/jobs/${jobId}`, { method: 'DELETE', headers: admin })).status).toBe(200);
    // The same upload again is a new job, not a cancelled one.
    const again = (await (await retrain(zipForm(zip))).json()) as { jobId: string };
    expect(again.jobId).toBe(jobId);
    expect(await (await fetch(`${gw.url}/jobs/${jobId}`)).json()).toMatchObject({
      state: 'queued',
      cancelRequested: false,
    });
    expect(await listedAs()).toEqual(['queued']);
  });

  test('when an unknown job is asked for or cancelled, then 404', async () => {
    expect((await fetch(`${gw.url}/jobs/nope`)).status).toBe(404);
    expect((await fetch(`${gw.url}/jobs/nope`, { method: 'DELETE', headers: admin })).status).toBe(404);
  });
});
