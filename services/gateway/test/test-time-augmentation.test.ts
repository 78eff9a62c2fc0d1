// A version built with flip test-time augmentation is served as its files say: the gateway answers
// the average over the image and its mirror image (so a mirrored upload gets the same answer), the
// same computation as the evaluation, and its export says so.
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CIFAR10_NORMALISATION, decodeImage, LABELS, normalise } from '@visionops/core';
import { modelFromFiles, predictProbabilities, type ModelCard } from '@visionops/core/model';
import { buildTestModel, eventually, syntheticImage } from '@visionops/testkit';
import { imageForm, startTestGateway, type TestGateway } from './test-gateway.js';

let gw: TestGateway;

async function publishWidth4(testTimeAugmentation: 'flip' | undefined, seed: number): Promise<string> {
  const { files, card } = await buildTestModel(seed, 4, testTimeAugmentation);
  return (await gw.storage.registry.publish(files, card)).version;
}

async function serve(version: string): Promise<void> {
  await gw.storage.registry.promote(version, 'test-time augmentation test');
  await eventually(() => gw.gateway.pool.modelVersion === version, 10_000);
}

async function predict(images: Buffer[]): Promise<Record<string, number>[]> {
  const form = imageForm(
    'files',
    images.map((data, i) => ({ name: `${i}.png`, data })),
  );
  const response = await fetch(`${gw.url}/predict`, { method: 'POST', body: form });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { results: { probabilities: Record<string, number> }[] };
  return body.results.map((result) => result.probabilities);
}

function largestDifference(a: Record<string, number>, b: Record<string, number>): number {
  return Math.max(...LABELS.map((label) => Math.abs(a[label]! - b[label]!)));
}

const FLIP = 'flip';
const PLAIN = undefined;
let image: Buffer;
let mirror: Buffer;

beforeAll(async () => {
  gw = await startTestGateway({
    env: { QUEUE_PREFIX: `test-${randomUUID()}`, MODEL_POLL_INTERVAL_MS: '2000' },
  });
  image = await syntheticImage(3, 7);
  mirror = await sharp(image).flop().png().toBuffer();
});
afterAll(async () => {
  await gw.stop();
});

describe('served test-time augmentation', () => {
  test('when a flip version is served, then an image and its mirror image get the same answer, which a plain version of the same weights does not give', async () => {
    const plain = await publishWidth4(PLAIN, 13);
    await serve(plain);
    const [plainImage, plainMirror] = await predict([image, mirror]);
    expect(largestDifference(plainImage!, plainMirror!)).toBeGreaterThan(1e-4);

    const flip = await publishWidth4(FLIP, 13);
    await serve(flip);
    const [flipImage, flipMirror] = await predict([image, mirror]);
    expect(largestDifference(flipImage!, flipMirror!)).toBeLessThan(1e-5);
    // The answer is the mean of the plain version's two answers.
    for (const label of LABELS) {
      expect(flipImage![label]).toBeCloseTo((plainImage![label]! + plainMirror![label]!) / 2, 5);
    }
  });

  test('when a flip version answers, then it gives what the evaluation computes for the same file', async () => {
    const version = await publishWidth4(FLIP, 29);
    await serve(version);
    const [served] = await predict([image]);
    const model = await modelFromFiles(await gw.storage.registry.getFiles(version));
    const expected = predictProbabilities(
      model,
      normalise(await decodeImage(image), CIFAR10_NORMALISATION),
      1,
    );
    model.dispose();
    LABELS.forEach((label, c) => expect(served![label]).toBeCloseTo(expected[c]!, 5));
  });

  test('when a version is exported, then the header says how it is served', async () => {
    const flip = await publishWidth4(FLIP, 31);
    const plain = await publishWidth4(PLAIN, 31);
    for (const [version, expected] of [
      [flip, 'flip'],
      [plain, 'none'],
    ] as const) {
      const response = await fetch(`${gw.url}/models/${version}/export?format=tfjs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-visionops-test-time-augmentation')).toBe(expected);
      await response.body?.cancel();
    }
    const card = (await (await fetch(`${gw.url}/models/${flip}`)).json()) as ModelCard;
    expect(card.architecture).toMatchObject({ testTimeAugmentation: 'flip' });
  });
});
