// The whole retrain path over HTTP on the real stack (gateway and trainer processes, Redis, the
// embedded S3): upload -> job -> new version in /models -> /predict answers with it after the
// swap, while a client keeps predicting throughout and never sees a failure.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jobViewSchema, readinessSchema, trainersSchema, type JobView } from '@visionops/core/contract';
import {
  expectConforms,
  type TestStack,
  sliceZip,
  startTestStack,
  syntheticImage,
  until,
} from '@visionops/testkit';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ adminToken: ADMIN_TOKEN });
}, 150_000);

afterAll(async () => {
  await stack?.stop();
});

describe('retraining over HTTP', () => {
  test('when a ZIP is uploaded, then the job completes, the version is listed, and /predict switches to it without a failed request', async () => {
    const gateway = stack.gatewayUrl;
    const first = await until('the gateway serving the seeded baseline', 60_000, async () => {
      const body = (await (await fetch(`${gateway}/models`)).json()) as { serving: string | null };
      return body.serving ?? undefined;
    });

    // A client predicting non-stop from before the upload until after the swap.
    const image = await syntheticImage(3, 1);
    const seen: { at: number; status: number; version?: string }[] = [];
    let predicting = true;
    const client = (async () => {
      while (predicting) {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'cat.png');
        const response = await fetch(`${gateway}/predict`, { method: 'POST', body: form });
        const body = (await response.json()) as { modelVersion?: string };
        seen.push({ at: Date.now(), status: response.status, version: body.modelVersion });
      }
    })();

    const { zip, real } = await sliceZip('train.zip', 10);
    const form = new FormData();
    form.append('epochs', '2');
    form.append(
      'file',
      new Blob([new Uint8Array(zip)], { type: 'application/zip' }),
      real ? 'cifar-slice.zip' : 'synthetic.zip',
    );
    const accepted = await fetch(`${gateway}/retrain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: form,
    });
    expect(accepted.status).toBe(202);
    const { statusUrl } = (await accepted.json()) as { statusUrl: string };

    const job = await until('the job finishing', 240_000, async () => {
      const body = (await (await fetch(`${gateway}${statusUrl}`)).json()) as JobView;
      return body.state === 'completed' || body.state === 'failed' ? body : undefined;
    });
    expect(job.state, job.failedReason ?? '').toBe('completed');
    expectConforms(jobViewSchema, job);
    expectConforms(readinessSchema, await (await fetch(`${gateway}/ready`)).json());
    expectConforms(trainersSchema, await (await fetch(`${gateway}/trainers`)).json());
    const version = job.result!.version;
    expect(version).not.toBe(first);
    expect(job.result).toMatchObject({ promoted: true, images: { uploaded: 100 } });

    const models = (await (await fetch(`${gateway}/models`)).json()) as {
      production: { version: string; promotedAt: string };
      versions: { version: string; parent: string | null }[];
    };
    expect(models.production.version).toBe(version);
    expect(models.versions.find((card) => card.version === version)?.parent).toBe(first);

    const swappedAt = await until('/predict answering with the new version', 30_000, () =>
      Promise.resolve(seen.find((entry) => entry.version === version)?.at),
    );
    predicting = false;
    await client;
    const sinceCompletion = (swappedAt - Date.parse(job.finishedAt!)) / 1000;
    const sincePromotion = (swappedAt - Date.parse(models.production.promotedAt)) / 1000;
    console.log(
      `e2e (${real ? 'real CIFAR-10 slice' : 'synthetic'}): ${version} served ${sincePromotion.toFixed(2)} s after ` +
        `its promotion, ${sinceCompletion.toFixed(2)} s after the job completed; ${seen.length} predictions, none failed`,
    );
    expect(seen.filter((entry) => entry.status !== 200)).toEqual([]);
    expect(seen.some((entry) => entry.version === first)).toBe(true);
    // Once the new version answered, the old one never did again.
    const firstNew = seen.findIndex((entry) => entry.version === version);
    expect(seen.slice(firstNew).every((entry) => entry.version === version)).toBe(true);
  }, 300_000);
});
