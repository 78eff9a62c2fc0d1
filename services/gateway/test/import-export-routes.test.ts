// POST /models/import and GET /models/:version/export over HTTP against the real gateway, Redis and
// embedded S3, with no trainer running: what the gateway alone decides (refusals, storage, the
// job it queues, the files it serves) is what is tested here; the trainer's side has its own test.
import { randomUUID } from 'node:crypto';
import unzipper from 'unzipper';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'import-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const MAX_BYTES = 64 * 1024;
let gw: TestGateway;

/** A file with the HDF5 signature: enough for the gateway, which only checks the format. */
const HDF5_HEAD = Buffer.concat([Buffer.from('894844460d0a1a0a', 'hex'), Buffer.alloc(120, 7)]);
const ZIP_HEAD = Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(60, 1)]);

beforeAll(async () => {
  gw = await startTestGateway({
    env: { ADMIN_TOKEN, QUEUE_PREFIX: `test-${randomUUID()}`, IMPORT_MAX_UPLOAD_BYTES: String(MAX_BYTES) },
  });
});
afterAll(async () => {
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

function modelForm(file: Buffer, fields: Record<string, string> = {}, name = 'model.h5'): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([new Uint8Array(file)]), name);
  return form;
}

function importModel(body: FormData, headers: Record<string, string> = admin): Promise<Response> {
  return fetch(`${gw.url}/models/import`, { method: 'POST', headers, body });
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

async function storedUploads(): Promise<string[]> {
  return (await gw.storage.store.list('uploads/')).map((object) => object.key);
}

describe('POST /models/import', () => {
  test('when no token or a wrong one is sent, then 401 and 403, and nothing is stored', async () => {
    expect((await importModel(modelForm(HDF5_HEAD), {})).status).toBe(401);
    expect((await importModel(modelForm(HDF5_HEAD), { authorization: 'Bearer nope' })).status).toBe(403);
    expect(await storedUploads()).toEqual([]);
  });

  test('when the file is neither HDF5 nor a ZIP, then 400 not_a_keras_file, whatever its name, and nothing is stored', async () => {
    const response = await importModel(
      modelForm(Buffer.from('{"class_name": "Sequential"}'), {}, 'model.h5'),
    );
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('not_a_keras_file');
    expect(error.message).toMatch(/model\.save/);
    expect(await storedUploads()).toEqual([]);
  });

  test('when the file is missing, too large or a field is wrong, then a 4xx that says what to fix', async () => {
    const missing = await importModel(new FormData());
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).code).toBe('missing_file');

    const large = await importModel(modelForm(Buffer.concat([HDF5_HEAD, Buffer.alloc(MAX_BYTES)])));
    expect(large.status).toBe(413);
    expect((await errorOf(large)).message).toMatch(/IMPORT_MAX_UPLOAD_BYTES/);

    const preprocessing = await importModel(modelForm(HDF5_HEAD, { preprocessing: 'imagenet' }));
    expect(preprocessing.status).toBe(400);
    expect((await errorOf(preprocessing)).message).toMatch(/preprocessing must be one of scale01, visionops/);

    const promote = await importModel(modelForm(HDF5_HEAD, { promote: 'always' }));
    expect(promote.status).toBe(400);
    expect((await errorOf(promote)).message).toMatch(/promote must be one of gate, never/);
    expect(await storedUploads()).toEqual([]);
  });

  test('when an HDF5 file is sent, then it is stored by content, an import job is queued with its options, and a repeat finds the same job', async () => {
    const response = await importModel(
      modelForm(HDF5_HEAD, { preprocessing: 'visionops', promote: 'never' }),
    );
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as {
      jobId: string;
      statusUrl: string;
      existing: boolean;
      format: string;
    };
    expect(accepted).toMatchObject({ existing: false, format: 'keras-h5' });
    expect(accepted.jobId).toMatch(/^import-[0-9a-f]{32}-visionops-never$/);

    const job = (await (await fetch(`${gw.url}${accepted.statusUrl}`)).json()) as Record<string, unknown>;
    expect(job).toMatchObject({
      id: accepted.jobId,
      kind: 'import',
      state: 'queued',
      epochs: 0,
      import: { format: 'keras-h5', preprocessing: 'visionops', promote: 'never' },
      upload: { bytes: HDF5_HEAD.length, fileName: 'model.h5' },
    });
    const sha256 = (job.upload as { sha256: string }).sha256;
    expect(await storedUploads()).toContain(`uploads/${sha256}.h5`);

    const again = (await (
      await importModel(modelForm(HDF5_HEAD, { preprocessing: 'visionops', promote: 'never' }))
    ).json()) as {
      jobId: string;
      existing: boolean;
    };
    expect(again).toEqual(expect.objectContaining({ jobId: accepted.jobId, existing: true }));

    const list = (await (await fetch(`${gw.url}/jobs`)).json()) as { jobs: { id: string; kind: string }[] };
    expect(list.jobs).toContainEqual(expect.objectContaining({ id: accepted.jobId, kind: 'import' }));
  });

  test('when a ZIP is sent, then it is queued as a Keras 3 archive with the default options', async () => {
    const response = await importModel(modelForm(ZIP_HEAD, {}, 'anything.bin'));
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { jobId: string; format: string };
    expect(accepted.format).toBe('keras-v3');
    expect(accepted.jobId).toMatch(/-scale01-gate$/);
    expect((await storedUploads()).some((key) => key.endsWith('.keras'))).toBe(true);
  });
});

describe('GET /models/:version/export', () => {
  test('when format=tfjs, then a ZIP of the version files and its card, byte for byte as stored', async () => {
    const card = await gw.publish(3);
    const response = await fetch(`${gw.url}/models/${card.version}/export?format=tfjs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/zip/);
    expect(response.headers.get('content-disposition')).toContain(`visionops-cifar10-${card.version}.zip`);
    expect(JSON.parse(response.headers.get('x-visionops-normalisation')!)).toEqual(card.normalisation);
    const zip = await unzipper.Open.buffer(Buffer.from(await response.arrayBuffer()));
    const entries = Object.fromEntries(
      await Promise.all(zip.files.map(async (file) => [file.path, await file.buffer()] as const)),
    );
    const stored = await gw.storage.registry.getFiles(card.version);
    expect(Object.keys(entries).sort()).toEqual(['card.json', 'model.json', 'weights.bin']);
    expect(entries['weights.bin']!.equals(stored.weightsBin)).toBe(true);
    expect(entries['model.json']!.equals(stored.modelJson)).toBe(true);
    expect(JSON.parse(entries['card.json']!.toString())).toMatchObject({ version: card.version });
  });

  test('when format=keras-h5, then an HDF5 file with the Keras model config', async () => {
    const card = await gw.publish(4);
    const response = await fetch(`${gw.url}/models/${card.version}/export`);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.subarray(0, 8).toString('hex')).toBe('894844460d0a1a0a');
    expect(body.includes(Buffer.from('model_config'))).toBe(true);
  });

  test('when the version or format is wrong, then 404 or 400', async () => {
    expect((await fetch(`${gw.url}/models/v999/export`)).status).toBe(404);
    const format = await fetch(`${gw.url}/models/v1/export?format=onnx`);
    expect(format.status).toBe(400);
    expect((await errorOf(format)).message).toMatch(/format must be one of keras-h5, tfjs/);
  });
});
