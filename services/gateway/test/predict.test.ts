// POST /predict end to end: the real gateway, inference threads, the registry on the embedded S3
// and Redis; answers for one and several images, and every way a request can be refused.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LABELS } from '@visionops/core';
import { eventually, syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';
import { pngClaiming, sampleImages } from './test-images.js';

let gw: TestGateway;

beforeAll(async () => {
  // The test model answers in about a millisecond, often before the next request is even parsed:
  // a short wait for company makes "requests that arrive together share a batch" hold on any machine.
  gw = await startTestGateway({
    env: { PREDICT_MAX_FILES: '4', MAX_IMAGE_BYTES: '65536', BATCH_MAX_WAIT_MS: '20' },
  });
  await eventually(() => gw.gateway.pool.modelVersion !== undefined);
});
afterAll(async () => {
  await gw.stop();
});

interface ErrorBody {
  error: { code: string; message: string; requestId?: string };
}

async function predict(body: FormData | string | undefined, headers: Record<string, string> = {}) {
  const response = await fetch(`${gw.url}/predict`, { method: 'POST', body, headers });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as unknown };
}

async function refused(body: FormData | string | undefined, status: number, code: string | RegExp) {
  const response = await predict(body);
  expect(response.status).toBe(status);
  const { error } = response.json as ErrorBody;
  expect(error.code).toMatch(code);
  // Never a stack trace or a source path for the client.
  expect(response.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules/);
  return error;
}

const png = (label = 1, index = 1) => syntheticImage(label, index);

describe('POST /predict', () => {
  test('when one image is sent in "file", then the label, its confidence and all ten probabilities come back', async () => {
    const { status, json } = await predict(imageForm('file', [{ name: 'cat.png', data: await png() }]));
    expect(status).toBe(200);
    const body = json as {
      label: string;
      confidence: number;
      probabilities: Record<string, number>;
      modelVersion: string;
    };
    expect(body.modelVersion).toBe(gw.gateway.pool.modelVersion);
    expect(Object.keys(body.probabilities).sort()).toEqual([...LABELS].sort());
    const values = Object.values(body.probabilities);
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(body.confidence).toBe(Math.max(...values));
    expect(body.probabilities[body.label]).toBe(body.confidence);
  });

  test('when several images are sent in "files", then each gets its result, in order, with its filename', async () => {
    const { images } = await sampleImages(3);
    const { status, json } = await predict(imageForm('files', images));
    expect(status).toBe(200);
    const body = json as { results: { filename: string; label: string }[]; modelVersion: string };
    expect(body.results.map((result) => result.filename)).toEqual(images.map((image) => image.name));
    expect(body.modelVersion).toMatch(/^v\d+$/);
    // The same image alone gets the same answer as inside a batch.
    const alone = await predict(imageForm('file', [images[1]!]));
    expect((alone.json as { label: string }).label).toBe(body.results[1]!.label);
  });

  test('when many requests arrive at once, then they share batches and all succeed', async () => {
    const data = await png();
    const before = await batchCount();
    const responses = await Promise.all(
      Array.from({ length: 24 }, () => predict(imageForm('file', [{ name: 'x.png', data }]))),
    );
    expect(responses.map((response) => response.status)).toEqual(new Array(24).fill(200));
    // Fewer batches than requests: some were batched together.
    expect((await batchCount()) - before).toBeLessThan(24);
  });

  test('when /predict is saturated, then /health still answers quickly', async () => {
    const data = await png();
    let done = false;
    const load = (async () => {
      while (!done) {
        await Promise.all(
          Array.from({ length: 16 }, () => predict(imageForm('file', [{ name: 'x.png', data }]))),
        );
      }
    })();
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        expect((await fetch(`${gw.url}/health`)).status).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      done = true;
      await load;
    }
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(100);
  });
});

describe('POST /predict refusals', () => {
  test('when the body has no file, then 400 no_file says to use the field "file"', async () => {
    const error = await refused(undefined, 400, 'no_file');
    expect(error.message).toContain('"file"');
    await refused(JSON.stringify({ image: 'x' }), 400, 'no_file');
  });

  test('when the image is in another field, then 400 names the field to use', async () => {
    const error = await refused(
      imageForm('image', [{ name: 'a.png', data: await png() }]),
      400,
      'unexpected_field',
    );
    expect(error.message).toMatch(/"image".*"file".*"files"/);
  });

  test('when two images are sent in "file", then 400 says to use "files"', async () => {
    const data = await png();
    const error = await refused(
      imageForm('file', [
        { name: 'a.png', data },
        { name: 'b.png', data },
      ]),
      400,
      'too_many_files',
    );
    expect(error.message).toContain('"files"');
  });

  test('when both "file" and "files" are sent, then 400 asks for one of them', async () => {
    const form = imageForm('file', [{ name: 'a.png', data: await png() }]);
    form.append('files', new Blob([new Uint8Array(await png())]), 'b.png');
    await refused(form, 400, 'ambiguous_fields');
  });

  test('when more than PREDICT_MAX_FILES images are sent, then 400 too_many_files names the limit', async () => {
    const data = await png();
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `${i}.png`, data }));
    const error = await refused(imageForm('files', files), 400, 'too_many_files');
    expect(error.message).toContain('4');
  });

  test('when an image is larger than MAX_IMAGE_BYTES, then 413 image_too_large', async () => {
    // Size is checked while the body streams in, before any decoding: padding is enough.
    const big = Buffer.concat([await png(), Buffer.alloc(70_000)]);
    await refused(imageForm('file', [{ name: 'big.png', data: big }]), 413, 'image_too_large');
  });

  test('when the file is not an image (a text file named .jpg), then 415 image_not_an_image', async () => {
    const text = Buffer.from('these are not the pixels you are looking for\n');
    await refused(
      imageForm('file', [{ name: 'photo.jpg', data: text, type: 'image/jpeg' }]),
      415,
      'image_not_an_image',
    );
  });

  test('when the file is empty, then 415 image_empty', async () => {
    await refused(imageForm('file', [{ name: 'empty.png', data: Buffer.alloc(0) }]), 415, 'image_empty');
  });

  test('when a JPEG is truncated, then 415 image_corrupt', async () => {
    const jpeg = await syntheticImage(3, 3, { format: 'jpeg', size: 96 });
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await refused(
      imageForm('file', [{ name: 'half.jpg', data: truncated, type: 'image/jpeg' }]),
      415,
      'image_corrupt',
    );
  });

  test('when an image claims an absurd pixel count, then 415 image_too_many_pixels without decoding it', async () => {
    const bomb = await pngClaiming(100_000, 100_000);
    await refused(imageForm('file', [{ name: 'bomb.png', data: bomb }]), 415, 'image_too_many_pixels');
  });

  test('when an image format is not supported (SVG), then 415 says which formats to send', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"/>');
    const error = await refused(
      imageForm('file', [{ name: 'a.svg', data: svg, type: 'image/svg+xml' }]),
      415,
      'image_unsupported_format',
    );
    expect(error.message).toMatch(/JPEG, PNG, WebP or GIF/);
  });

  test('when one of several images is undecodable, then 415 names that file', async () => {
    const files = [
      { name: 'good.png', data: await png() },
      { name: 'notes.jpg', data: Buffer.from('hello') },
    ];
    const error = await refused(imageForm('files', files), 415, /^image_/);
    expect(error.message).toContain('notes.jpg');
  });

  test('when the multipart body is cut off, then 400 invalid_multipart', async () => {
    const response = await fetch(`${gw.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_multipart');
  });
});

async function batchCount(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^visionops_inference_batch_size_count (\d+)/m.exec(text)?.[1] ?? 0);
}
