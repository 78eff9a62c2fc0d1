// Importing a Keras model on the real stack (gateway and trainer processes, Redis, the embedded S3):
// a real Keras 3.5 file this project did not write goes through POST /models/import (and through
// the CLI), is converted, evaluated, published with its origin and served with its own
// preprocessing; broken files fail their job and publish nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeImage, LABELS, loadConfig, normalise } from '@visionops/core';
import { createS3Client, ObjectStore } from '@visionops/core/registry';
import { isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import { initBackend } from '@visionops/core/engine';
import { importKerasModel } from '@visionops/core/keras';
import { predictProbabilities } from '@visionops/core/model';
import { getDriftReference } from '@visionops/core/monitoring';
import { main as cli, type CliIo } from '@visionops/cli';
import {
  expectConforms,
  KERAS_FIXTURE,
  kerasFixture,
  kerasFixturesDir,
  MISSING_FIXTURE,
  type TestStack,
  sliceZip,
  startTestStack,
  until,
} from '@visionops/testkit';
import { jobViewSchema, type JobView } from '@visionops/core/contract';

const ADMIN_TOKEN = 'import-e2e-admin-token-0123456789';
const fixture = kerasFixture();
let stack: TestStack;

function capture(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    status: () => {},
    env: { VISIONOPS_URL: stack.gatewayUrl, VISIONOPS_TOKEN: ADMIN_TOKEN },
  };
}

async function importFile(file: Buffer, fields: Record<string, string> = {}): Promise<JobView> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([new Uint8Array(file)]), 'model.h5');
  const accepted = await fetch(`${stack.gatewayUrl}/models/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: form,
  });
  expect(accepted.status).toBe(202);
  const { statusUrl } = (await accepted.json()) as { statusUrl: string };
  return until('the import job finishing', 120_000, async () => {
    const body = (await (await fetch(`${stack.gatewayUrl}${statusUrl}`)).json()) as JobView;
    return body.state === 'completed' || body.state === 'failed' ? body : undefined;
  });
}

async function versions(): Promise<string[]> {
  const body = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as {
    versions: { version: string }[];
  };
  return body.versions.map((card) => card.version);
}

describe.skipIf(!fixture)(
  `importing a Keras model on the real stack${fixture ? '' : ` (skipped: ${MISSING_FIXTURE})`}`,
  () => {
    beforeAll(async () => {
      stack = await startTestStack({ adminToken: ADMIN_TOKEN });
      await until('the gateway serving the seeded baseline', 60_000, async () => {
        const body = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as { serving: string | null };
        return body.serving ?? undefined;
      });
    }, 150_000);

    afterAll(async () => {
      await stack?.stop();
    });

    test('when a damaged Keras file is imported, then its job fails saying why and nothing is published', async () => {
      const before = await versions();
      const job = await importFile(fixture!.subarray(0, Math.floor(fixture!.length / 2)));
      expect(job.state).toBe('failed');
      expect(job.kind).toBe('import');
      expect(job.failedReason).toMatch(/could not be imported/);
      expect(await versions()).toEqual(before);
      // Nor is the refused file kept in storage.
      const store = new ObjectStore(
        createS3Client({ ...loadConfig(), S3_ENDPOINT: stack.stack.s3Endpoint }),
        stack.stack.bucket,
      );
      const uploads = (await store.list('uploads/')).map((object) => object.key);
      expect(uploads.filter((key) => key.endsWith('.h5'))).toEqual([]);
    });

    test('when the real Keras 3.5 file is imported with promote=never, then it is published with its origin but production stays', async () => {
      const before = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as {
        production: { version: string };
      };
      const job = await importFile(fixture!, { preprocessing: 'scale01', promote: 'never' });
      expect(job.state, job.failedReason ?? '').toBe('completed');
      expectConforms(jobViewSchema, job);
      expect(job.result).toMatchObject({
        promoted: false,
        // The file's last Dense is linear (it was trained on logits), so nothing is dropped.
        origin: { format: 'keras-h5', kerasVersion: '3.5.0', output: 'logits' },
      });
      expect(job.result!.reason).toMatch(/promote=never/);
      // A real CIFAR-10 model, not noise: well above chance (10%) on the evaluation slice.
      expect(job.result!.accuracy).toBeGreaterThan(0.4);
      const card = (await (
        await fetch(`${stack.gatewayUrl}/models/${job.result!.version}`)
      ).json()) as Record<string, unknown>;
      expect(card).toMatchObject({
        parent: null,
        normalisation: { mean: [0, 0, 0], std: [1, 1, 1] },
        architecture: { name: 'keras', inputShape: [32, 32, 3] },
        origin: { format: 'keras-h5', fileName: 'model.h5' },
        inProduction: false,
      });
      const after = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as {
        production: { version: string };
      };
      expect(after.production.version).toBe(before.production.version);
      // Its drift reference was stored when it was published: the imported model on the evaluation set.
      const store = new ObjectStore(
        createS3Client({ ...loadConfig(), S3_ENDPOINT: stack.stack.s3Endpoint }),
        stack.stack.bucket,
      );
      expect(await getDriftReference(store, job.result!.version)).toMatchObject({
        version: job.result!.version,
        n: 100,
      });
    });

    test('when the CLI imports it through the gate and waits, then the version goes to production and /predict answers as the Keras model does on pixels / 255', async () => {
      const io = capture();
      // The stack's tolerance is 1 (see startTestStack): the gate lets it through.
      const code = await cli(
        ['import', join(kerasFixturesDir, KERAS_FIXTURE), '--wait', '--interval', '200'],
        io,
      );
      expect(code, io.errors.join('\n')).toBe(0);
      const version = /^(v\d+) promoted/.exec(io.lines.at(-1) ?? '')?.[1];
      expect(version, io.lines.join('\n')).toMatch(/^v\d+$/);
      await until(`the gateway serving ${version}`, 30_000, async () => {
        const body = (await (await fetch(`${stack.gatewayUrl}/models`)).json()) as { serving: string | null };
        return body.serving === version ? true : undefined;
      });

      // The same images through the imported model here, preprocessed as Keras saw them (RGB / 255).
      await initBackend('wasm');
      const imported = await importKerasModel(fixture!);
      const dir = await mkdtemp(join(tmpdir(), 'import-e2e-'));
      try {
        await writeFile(join(dir, 'slice.zip'), (await sliceZip('test.zip', 1)).zip);
        let compared = 0;
        for await (const item of iterateClassFolderZip(join(dir, 'slice.zip'))) {
          if (isSkipped(item)) continue;
          const pixels = normalise(await decodeImage(item.data), { mean: [0, 0, 0], std: [1, 1, 1] });
          const expected = predictProbabilities(imported.model, pixels, 1);
          const form = new FormData();
          form.append('file', new Blob([new Uint8Array(item.data)]), item.name);
          const answer = (await (
            await fetch(`${stack.gatewayUrl}/predict`, { method: 'POST', body: form })
          ).json()) as {
            modelVersion: string;
            probabilities: Record<string, number>;
          };
          expect(answer.modelVersion).toBe(version);
          LABELS.forEach((label, c) => expect(answer.probabilities[label]).toBeCloseTo(expected[c]!, 4));
          compared++;
        }
        expect(compared).toBe(LABELS.length);
      } finally {
        imported.model.dispose();
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('when production is an imported model, then a retrain fails saying to promote a visionops-trained version first', async () => {
      const { zip } = await sliceZip('train.zip', 2);
      const form = new FormData();
      form.append('epochs', '1');
      form.append('file', new Blob([new Uint8Array(zip)]), 'slice.zip');
      const accepted = await fetch(`${stack.gatewayUrl}/retrain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: form,
      });
      const { statusUrl } = (await accepted.json()) as { statusUrl: string };
      const job = await until('the retrain job finishing', 120_000, async () => {
        const body = (await (await fetch(`${stack.gatewayUrl}${statusUrl}`)).json()) as JobView;
        return body.state === 'completed' || body.state === 'failed' ? body : undefined;
      });
      expect(job.state).toBe('failed');
      expect(job.failedReason).toMatch(/imported Keras model.*promote a version trained by visionops/);
    });
  },
);
