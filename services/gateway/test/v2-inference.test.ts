// The Open Inference Protocol (KServe V2) REST routes end to end: the real gateway with the baseline
// model seeded into the embedded S3, Redis and the inference threads. Every request is built by hand
// from the protocol text (JSON tensors, and a JSON header followed by binary data as tritonclient.http
// sends it), and answers are checked against POST /predict for the same images.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeImage, LABELS, PIXELS_PER_IMAGE, RedisKeys, repoRoot } from '@visionops/core';
import { eventually } from '@visionops/testkit';
import { predictionRecordSchema } from '../src/monitoring/prediction-record.js';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';
import { sampleImages, type NamedImage } from './test-images.js';

const MAX_FILES = 8;
const MAX_IMAGE_BYTES = 65_536;
const MAX_BODY_BYTES = 1024 * 1024;
const INFER = '/v2/models/cifar10/infer';

let gw: TestGateway;
let images: NamedImage[];
let real: boolean;
/** Each image's 32x32 RGB pixels (HWC), as raw tensor data. */
let pixels: Uint8Array[];
/** What POST /predict answers for each image: its ten probabilities in label order. */
let predicted: number[][];

beforeAll(async () => {
  gw = await startTestGateway({
    withModel: false,
    env: {
      BASELINE_MODEL_DIR: join(repoRoot, 'models', 'baseline'),
      PREDICT_MAX_FILES: String(MAX_FILES),
      MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES),
      PREDICT_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      QUEUE_PREFIX: `test-${randomUUID()}`,
    },
  });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined, 30_000);
  ({ images, real } = await sampleImages(6));
  pixels = await Promise.all(images.map((image) => decodeImage(image.data)));
  const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: imageForm('files', images) });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { results: { probabilities: Record<string, number> }[] };
  predicted = body.results.map((result) => LABELS.map((label) => result.probabilities[label]!));
}, 60_000);
afterAll(async () => {
  await gw.gateway.predictionLog.flush();
  const keys = await gw.storage.redis.keys(`${gw.gateway.config.QUEUE_PREFIX}:*`);
  if (keys.length > 0) await gw.storage.redis.del(...keys);
  await gw.stop();
});

interface V2Output {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: { binary_data_size?: number };
  data?: (number | string)[];
}
interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: { prediction_ids?: string };
  outputs: V2Output[];
}

async function getJson(path: string) {
  const response = await fetch(`${gw.url}${path}`);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function postJson(body: unknown, path = INFER) {
  const response = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as unknown };
}

/** A V2 error: the protocol's shape, {"error": "<message>"}, and no stack trace. */
async function refused(response: Promise<{ status: number; text: string; json: unknown }>, status: number) {
  const { status: actual, text, json } = await response;
  expect(actual, text).toBe(status);
  expect(Object.keys(json as object)).toEqual(['error']);
  expect(typeof (json as { error: unknown }).error).toBe('string');
  expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules/);
  return (json as { error: string }).error;
}

const uint8Input = (batch: Uint8Array[]) => ({
  name: 'images',
  shape: [batch.length, 32, 32, 3],
  datatype: 'UINT8',
  data: batch.flatMap((image) => Array.from(image)),
});

const output = (response: V2Response, name: string) => response.outputs.find((each) => each.name === name)!;

/** The FP32 [N,10] output as one array of ten per image. */
function rows(values: number[], width = LABELS.length): number[][] {
  return Array.from({ length: values.length / width }, (_, i) => values.slice(i * width, (i + 1) * width));
}

function expectSameAsPredict(probabilities: number[][], expected = predicted): void {
  expect(probabilities.length).toBe(expected.length);
  probabilities.forEach((row, i) =>
    row.forEach((p, c) => expect(Math.abs(p - expected[i]![c]!)).toBeLessThan(1e-5)),
  );
}

const argmaxLabel = (row: number[]) => LABELS[row.indexOf(Math.max(...row))];

/** Splits a binary response as the binary tensor data extension lays it out. */
function readBinaryResponse(body: Buffer, headerLength: number) {
  const head = JSON.parse(body.subarray(0, headerLength).toString('utf8')) as V2Response;
  const data = new Map<string, Buffer>();
  let offset = headerLength;
  for (const out of head.outputs) {
    const size = out.parameters?.binary_data_size;
    if (size === undefined) continue;
    data.set(out.name, body.subarray(offset, offset + size));
    offset += size;
  }
  expect(offset).toBe(body.length);
  return { head, data };
}

const fp32 = (bytes: Buffer) => Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));

/** BYTES elements as binary data: each a 4-byte little-endian length, then its bytes. */
function bytesElements(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = bytes.readUInt32LE(offset);
    out.push(bytes.toString('utf8', offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return out;
}

function lengthPrefixed(elements: Buffer[]): Buffer {
  return Buffer.concat(
    elements.flatMap((element) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(element.length);
      return [length, element];
    }),
  );
}

async function postBinary(header: string, binary: Buffer, headers: Record<string, string> = {}) {
  const json = Buffer.from(header, 'utf8');
  const response = await fetch(`${gw.url}${INFER}`, {
    method: 'POST',
    headers: { 'Inference-Header-Content-Length': String(json.length), ...headers },
    body: Buffer.concat([json, binary]),
  });
  return {
    status: response.status,
    headerLength: response.headers.get('inference-header-content-length'),
    contentType: response.headers.get('content-type'),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

describe('V2 server and model metadata, health', () => {
  test('when GET /v2 is asked, then it names the server, its version and the extensions it implements', async () => {
    const { status, json } = await getJson('/v2');
    expect(status).toBe(200);
    expect(json.name).toBe('visionops');
    expect(typeof json.version).toBe('string');
    expect(json.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'classification']));
  });

  test('when the health routes are asked with a model loaded, then live and ready are true', async () => {
    expect(await getJson('/v2/health/live')).toEqual({ status: 200, json: { live: true } });
    expect(await getJson('/v2/health/ready')).toEqual({ status: 200, json: { ready: true } });
    expect(await getJson('/v2/models/cifar10/ready')).toEqual({
      status: 200,
      json: { name: 'cifar10', ready: true },
    });
    expect(await getJson('/v2/models/cifar10/versions/v1/ready')).toEqual({
      status: 200,
      json: { name: 'cifar10', ready: true },
    });
  });

  test('when model metadata is asked, then it lists the served version, the input and the outputs with datatypes and shapes', async () => {
    const expected = {
      name: 'cifar10',
      versions: ['v1'],
      platform: 'tensorflowjs_layers',
      inputs: [{ name: 'images', datatype: 'UINT8', shape: [-1, 32, 32, 3] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 10] },
        { name: 'label', datatype: 'BYTES', shape: [-1] },
      ],
    };
    expect(await getJson('/v2/models/cifar10')).toEqual({ status: 200, json: expected });
    expect(await getJson('/v2/models/cifar10/versions/v1')).toEqual({ status: 200, json: expected });
  });

  test('when another model name is asked, then 404 {"error"} names the model served', async () => {
    const { status, json } = await getJson('/v2/models/resnet50');
    expect(status).toBe(404);
    expect(Object.keys(json)).toEqual(['error']);
    expect(json.error).toContain('"cifar10"');
    expect((await getJson('/v2/models/resnet50/ready')).status).toBe(404);
    const unrouted = await getJson('/v2/no/such/route');
    expect(unrouted.status).toBe(404);
    expect(typeof unrouted.json.error).toBe('string');
  });

  test('when a version that exists but is not in service is asked, then 404 says only the production version is served', async () => {
    const other = await gw.publish(3);
    const metadata = await getJson(`/v2/models/cifar10/versions/${other.version}`);
    expect(metadata.status).toBe(404);
    expect(metadata.json.error).toMatch(/not loaded.*production/);
    const missing = await getJson('/v2/models/cifar10/versions/v999');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/no version "v999"/);
    await refused(
      postJson(
        { inputs: [uint8Input(pixels.slice(0, 1))] },
        `/v2/models/cifar10/versions/${other.version}/infer`,
      ),
      404,
    );
  });
});

describe('V2 infer with JSON tensors', () => {
  test('when real images are sent as a UINT8 [N,32,32,3] tensor, then the probabilities equal /predict for the same images and the id is echoed', async () => {
    const { status, json } = await postJson({ id: 'request-42', inputs: [uint8Input(pixels)] });
    expect(status).toBe(200);
    const body = json as V2Response;
    expect(body).toMatchObject({ model_name: 'cifar10', model_version: 'v1', id: 'request-42' });
    expect(body.outputs.map((each) => [each.name, each.datatype, each.shape])).toEqual([
      ['probabilities', 'FP32', [pixels.length, 10]],
      ['label', 'BYTES', [pixels.length]],
    ]);
    const probabilities = rows(output(body, 'probabilities').data as number[]);
    expectSameAsPredict(probabilities);
    expect(output(body, 'label').data).toEqual(predicted.map(argmaxLabel));
    if (real) {
      // CIFAR-10 test images whose names carry their class: the trained baseline gets most right.
      const right = images.filter((image, i) =>
        image.name.includes(output(body, 'label').data![i] as string),
      );
      expect(right.length).toBeGreaterThanOrEqual(3);
    }
  });

  test('when the tensor data is nested as the shape is, then the answer is the same as flat data', async () => {
    const image = Array.from(pixels[0]!);
    const nested = [
      Array.from({ length: 32 }, (_, y) =>
        Array.from({ length: 32 }, (_, x) => image.slice((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)),
      ),
    ];
    const { status, json } = await postJson({
      inputs: [{ name: 'images', shape: [1, 32, 32, 3], datatype: 'UINT8', data: nested }],
      outputs: [{ name: 'probabilities' }],
    });
    expect(status).toBe(200);
    const body = json as V2Response;
    expect(body.id).toBeUndefined();
    expect(body.outputs.map((each) => each.name)).toEqual(['probabilities']);
    expectSameAsPredict(rows(body.outputs[0]!.data as number[]), predicted.slice(0, 1));
  });

  test('when "outputs" is an empty list, then every output comes back, as when it is left out', async () => {
    const { status, json } = await postJson({ inputs: [uint8Input(pixels.slice(0, 1))], outputs: [] });
    expect(status).toBe(200);
    expect((json as V2Response).outputs.map((each) => each.name)).toEqual(['probabilities', 'label']);
  });

  test('when the pixels are sent as FP32 in 0..255, then they are rounded to whole pixels and predict as UINT8 does', async () => {
    const data = pixels.flatMap((image) =>
      Array.from(image, (value, i) => value + (i % 3 === 0 ? 0.3 : -0.2)),
    );
    const { status, json } = await postJson({
      inputs: [{ name: 'images', shape: [pixels.length, 32, 32, 3], datatype: 'FP32', data }],
    });
    expect(status).toBe(200);
    expectSameAsPredict(rows(output(json as V2Response, 'probabilities').data as number[]));
  });

  test('when encoded images are sent as BYTES [N] of base64 strings, then they are decoded as /predict decodes them', async () => {
    const { status, json } = await postJson({
      inputs: [
        {
          name: 'images',
          shape: [images.length],
          datatype: 'BYTES',
          data: images.map((image) => image.data.toString('base64')),
        },
      ],
    });
    expect(status).toBe(200);
    expectSameAsPredict(rows(output(json as V2Response, 'probabilities').data as number[]));
  });

  test('when classification k is asked on probabilities, then each image gets its top k as "score:index:label", best first', async () => {
    const { status, json } = await postJson({
      inputs: [uint8Input(pixels.slice(0, 2))],
      outputs: [{ name: 'probabilities', parameters: { classification: 3 } }, { name: 'label' }],
    });
    expect(status).toBe(200);
    const top = output(json as V2Response, 'probabilities');
    expect(top).toMatchObject({ datatype: 'BYTES', shape: [2, 3] });
    const data = top.data as string[];
    for (let i = 0; i < 2; i++) {
      const expected = predicted[i]!.map((p, c) => ({ p, c }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 3);
      const entries = data.slice(i * 3, i * 3 + 3).map((entry) => entry.split(':'));
      expect(entries.map(([, index, label]) => [Number(index), label])).toEqual(
        expected.map(({ c }) => [c, LABELS[c]]),
      );
      entries.forEach(([score], k) => expect(Math.abs(Number(score) - expected[k]!.p)).toBeLessThan(1e-5));
    }
  });
});

describe('V2 infer in the prediction log', () => {
  test('when V2 infer answers, then each image has a predictionId (parameters and header) in the prediction log, and feedback takes it', async () => {
    const response = await fetch(`${gw.url}${INFER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [uint8Input(pixels.slice(0, 3))] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as V2Response;
    const ids = body.parameters?.prediction_ids?.split(',') ?? [];
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(response.headers.get('x-prediction-id')).toBe(ids.join(','));
    const labels = output(body, 'label').data as string[];

    await gw.gateway.predictionLog.flush();
    const entries = (
      await gw.storage.redis.xrange(RedisKeys.predictionLog(gw.gateway.config.QUEUE_PREFIX), '-', '+')
    ).map(([, fields]) => predictionRecordSchema.parse(JSON.parse(fields[1]!)));
    ids.forEach((id, i) => {
      const entry = entries.find((each) => each.id === id);
      expect(entry, `log entry of ${id}`).toMatchObject({ v: body.model_version });
      expect(entry!.top[0]![0]).toBe(labels[i]);
      // Raw pixels: no encoded image, so no format or size as sent.
      expect(entry!.fmt).toBeUndefined();
    });

    const wrong = LABELS.find((label) => label !== labels[0])!;
    const feedback = await fetch(`${gw.url}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: ids[0], label: wrong }),
    });
    expect(feedback.status).toBe(201);
    expect(await feedback.json()).toMatchObject({
      predictionId: ids[0],
      predicted: labels[0],
      label: wrong,
      correct: false,
      imageKept: true,
    });
  });

  test('when encoded images are sent as BYTES, then their log entries carry the format and size as sent', async () => {
    const { status, json } = await postJson({
      inputs: [{ name: 'images', shape: [1], datatype: 'BYTES', data: [images[0]!.data.toString('base64')] }],
    });
    expect(status).toBe(200);
    const [id] = (json as V2Response).parameters!.prediction_ids!.split(',');
    await gw.gateway.predictionLog.flush();
    const entries = await gw.storage.redis.xrange(
      RedisKeys.predictionLog(gw.gateway.config.QUEUE_PREFIX),
      '-',
      '+',
    );
    const entry = entries
      .map(([, fields]) => predictionRecordSchema.parse(JSON.parse(fields[1]!)))
      .find((each) => each.id === id);
    expect(entry?.fmt).toMatch(/^(jpeg|png|webp|gif)$/);
    expect(entry?.w).toBeGreaterThan(0);
  });
});

describe('V2 infer metrics', () => {
  test('when V2 infer classifies images, then they are counted in the predictions metric and the route pattern is timed, as /predict is', async () => {
    const counted = async () =>
      (await gw.gateway.metrics.predictions.get()).values.reduce((sum, each) => sum + each.value, 0);
    const before = await counted();
    const { status } = await postJson({ inputs: [uint8Input(pixels.slice(0, 3))] });
    expect(status).toBe(200);
    expect((await counted()) - before).toBe(3);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(
      /visionops_http_request_duration_seconds_count\{[^}]*route="\/v2\/models\/:model\/infer"/,
    );
  });
});

describe('V2 infer with the binary tensor data extension', () => {
  test('when a UINT8 tensor is sent as tritonclient.http sends it, with binary outputs asked, then the binary response carries the same probabilities', async () => {
    const data = Buffer.concat(pixels.slice(0, 4));
    // tritonclient.http: json.dumps of the request (", " and ": " separators), then the raw tensor
    // bytes; InferInput.set_data_from_numpy(binary_data=True) sets binary_data_size, and
    // InferRequestedOutput(binary_data=True) sets binary_data on each output.
    const header =
      `{"inputs": [{"name": "images", "shape": [4, 32, 32, 3], "datatype": "UINT8", ` +
      `"parameters": {"binary_data_size": ${data.length}}}], ` +
      `"outputs": [{"name": "probabilities", "parameters": {"binary_data": true}}, ` +
      `{"name": "label", "parameters": {"binary_data": true}}]}`;
    const response = await postBinary(header, data);
    expect(response.status, response.body.toString()).toBe(200);
    expect(response.contentType).toMatch(/application\/octet-stream/);
    const { head, data: tensors } = readBinaryResponse(response.body, Number(response.headerLength));
    expect(head.outputs.map((each) => [each.name, each.datatype, each.shape, each.data])).toEqual([
      ['probabilities', 'FP32', [4, 10], undefined],
      ['label', 'BYTES', [4], undefined],
    ]);
    expect(tensors.get('probabilities')!.length).toBe(4 * 10 * 4);
    expectSameAsPredict(rows(fp32(tensors.get('probabilities')!)), predicted.slice(0, 4));
    expect(bytesElements(tensors.get('label')!)).toEqual(predicted.slice(0, 4).map(argmaxLabel));
  });

  test('when no outputs are named and binary_data_output is true (tritonclient without outputs), then every output comes back binary', async () => {
    const data = Buffer.concat(pixels.slice(0, 2));
    const header =
      `{"inputs": [{"name": "images", "shape": [2, 32, 32, 3], "datatype": "UINT8", ` +
      `"parameters": {"binary_data_size": ${data.length}}}], "parameters": {"binary_data_output": true}}`;
    const response = await postBinary(header, data, { 'content-type': 'application/octet-stream' });
    expect(response.status).toBe(200);
    const { head, data: tensors } = readBinaryResponse(response.body, Number(response.headerLength));
    expect(head.outputs.map((each) => each.name)).toEqual(['probabilities', 'label']);
    expectSameAsPredict(rows(fp32(tensors.get('probabilities')!)), predicted.slice(0, 2));
  });

  test('when binary input is sent but JSON output asked, then the answer is plain JSON', async () => {
    const data = Buffer.alloc(PIXELS_PER_IMAGE * 4);
    pixels[0]!.forEach((value, i) => data.writeFloatLE(value, i * 4));
    const header = JSON.stringify({
      id: 'fp32-binary',
      inputs: [
        {
          name: 'images',
          shape: [1, 32, 32, 3],
          datatype: 'FP32',
          parameters: { binary_data_size: data.length },
        },
      ],
      outputs: [{ name: 'probabilities', parameters: { binary_data: false } }],
    });
    const response = await postBinary(header, data);
    expect(response.status).toBe(200);
    expect(response.headerLength).toBeNull();
    const body = JSON.parse(response.body.toString()) as V2Response;
    expect(body.id).toBe('fp32-binary');
    expectSameAsPredict(rows(body.outputs[0]!.data as number[]), predicted.slice(0, 1));
  });

  test('when encoded images are sent as binary BYTES (length-prefixed, or back to back with a size list as OpenVINO takes), then both predict as /predict', async () => {
    const encoded = images.slice(0, 3).map((image) => image.data);
    const prefixed = lengthPrefixed(encoded);
    const asTriton = await postBinary(
      JSON.stringify({
        inputs: [
          {
            name: 'images',
            shape: [3],
            datatype: 'BYTES',
            parameters: { binary_data_size: prefixed.length },
          },
        ],
        outputs: [{ name: 'probabilities', parameters: { binary_data: true } }],
      }),
      prefixed,
    );
    expect(asTriton.status).toBe(200);
    const triton = readBinaryResponse(asTriton.body, Number(asTriton.headerLength));
    expectSameAsPredict(rows(fp32(triton.data.get('probabilities')!)), predicted.slice(0, 3));

    const asOpenVino = await postBinary(
      JSON.stringify({
        inputs: [
          {
            name: 'images',
            shape: [3],
            datatype: 'BYTES',
            parameters: { binary_data_size: encoded.map((e) => e.length) },
          },
        ],
      }),
      Buffer.concat(encoded),
    );
    expect(asOpenVino.status).toBe(200);
    const body = JSON.parse(asOpenVino.body.toString()) as V2Response;
    expectSameAsPredict(rows(output(body, 'probabilities').data as number[]), predicted.slice(0, 3));
  });
});

describe('V2 infer refusals', () => {
  const one = () => uint8Input(pixels.slice(0, 1));

  test('when the datatype is not UINT8, FP32 or BYTES, then 400 says which to send', async () => {
    const error = await refused(postJson({ inputs: [{ ...one(), datatype: 'INT32' }] }), 400);
    expect(error).toMatch(/UINT8 or FP32/);
  });

  test('when the shape is not [N,32,32,3], then 400 names the expected shape', async () => {
    const error = await refused(postJson({ inputs: [{ ...one(), shape: [1, 64, 16, 3] }] }), 400);
    expect(error).toMatch(/\[N,32,32,3\]/);
  });

  test('when the data has fewer elements than the shape, then 400 gives both counts', async () => {
    const input = one();
    const error = await refused(postJson({ inputs: [{ ...input, data: input.data.slice(1) }] }), 400);
    expect(error).toMatch(/3071.*3072/);
  });

  test('when a UINT8 element is out of range, then 400 names it', async () => {
    const input = one();
    input.data[5] = 300;
    expect(await refused(postJson({ inputs: [input] }), 400)).toMatch(/element 5 is 300/);
  });

  test('when N is above PREDICT_MAX_FILES, then 400 names the limit', async () => {
    const batch = Array.from({ length: MAX_FILES + 1 }, (_, i) => pixels[i % pixels.length]!);
    expect(await refused(postJson({ inputs: [uint8Input(batch)] }), 400)).toMatch(`at most ${MAX_FILES}`);
  });

  test('when the input or an output has a name the model does not know, then 400 names the right ones', async () => {
    expect(await refused(postJson({ inputs: [{ ...one(), name: 'input_1' }] }), 400)).toMatch(/"images"/);
    expect(await refused(postJson({ inputs: [one()], outputs: [{ name: 'logits' }] }), 400)).toMatch(
      /probabilities or label/,
    );
    expect(
      await refused(
        postJson({ inputs: [one()], outputs: [{ name: 'label', parameters: { classification: 2 } }] }),
        400,
      ),
    ).toMatch(/classification/);
  });

  test('when the body is not JSON, then 400 says so', async () => {
    expect(await refused(postJson('{"inputs": ['), 400)).toMatch(/not valid JSON/);
  });

  test('when a BYTES element is not base64 (half a megabyte of spaces, then a stray character), then 400 at once', async () => {
    const data = [' '.repeat(500_000) + '!'];
    const started = performance.now();
    const error = await refused(
      postJson({ inputs: [{ name: 'images', shape: [1], datatype: 'BYTES', data }] }),
      400,
    );
    expect(error).toMatch(/not a base64 string/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('when an encoded image cannot be decoded, then 415 names it', async () => {
    const data = [images[0]!.data.toString('base64'), Buffer.from('not an image at all').toString('base64')];
    const error = await refused(
      postJson({ inputs: [{ name: 'images', shape: [2], datatype: 'BYTES', data }] }),
      415,
    );
    expect(error).toMatch(/images\[1\]/);
  });

  test('when an encoded image is larger than MAX_IMAGE_BYTES, then 413', async () => {
    const data = [Buffer.alloc(MAX_IMAGE_BYTES + 1).toString('base64')];
    await refused(postJson({ inputs: [{ name: 'images', shape: [1], datatype: 'BYTES', data }] }), 413);
  });

  test('when the body is larger than PREDICT_MAX_BODY_BYTES, then 413 names the limit', async () => {
    const body = JSON.stringify({ inputs: [one()], padding: 'x'.repeat(MAX_BODY_BYTES) });
    expect(await refused(postJson(body), 413)).toMatch(String(MAX_BODY_BYTES));
  });

  test('when a chunked body goes on past PREDICT_MAX_BODY_BYTES, then 413 {"error"} and the connection is closed', async () => {
    // A raw connection: the request declares no length and keeps sending 64 KiB chunks until answered.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const frame = Buffer.concat([
        Buffer.from(`${chunk.length.toString(16)}\r\n`),
        chunk,
        Buffer.from('\r\n'),
      ]);
      let answer = '';
      let sent = 0;
      const pump = () => {
        while (answer === '' && socket.writable && sent < 16 * MAX_BODY_BYTES) {
          sent += chunk.length;
          if (!socket.write(frame)) return;
        }
      };
      socket.on('connect', () => {
        socket.write(
          `POST ${INFER} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        pump();
      });
      socket.on('drain', pump);
      socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(answer));
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept the connection open'));
      }, 15_000).unref();
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as Record<string, string>;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toContain(`(${MAX_BODY_BYTES} bytes)`);
  });

  test('when binary_data_size disagrees with the bytes after the header, then 400', async () => {
    const data = Buffer.from(pixels[0]!);
    const header = JSON.stringify({
      inputs: [
        {
          name: 'images',
          shape: [1, 32, 32, 3],
          datatype: 'UINT8',
          parameters: { binary_data_size: data.length + 10 },
        },
      ],
    });
    const response = await postBinary(header, data);
    expect(response.status).toBe(400);
    const body = JSON.parse(response.body.toString()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(/binary_data_size/);
  });
});
