// The monitoring loop closed on real data, on the real stack (gateway and trainer processes, Redis,
// the embedded S3): real CIFAR-10 test images are classified, their true labels come back as
// feedback, POST /retrain/from-feedback turns them into a retrain job, and the evaluation gate
// (PROMOTION_TOLERANCE as shipped) decides by its rule. The new version lands within about a point
// of production on the evaluation set (docs/architecture.md, Feedback), so the gate's answer varies
// with the run; a version it refuses is promoted by hand, so that held-out images, labelled only
// after the job took its ZIP, always measure production and the new version live. Prints the
// figures.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LABELS } from '@visionops/core';
import { isSkipped, iterateClassFolderZip } from '@visionops/core/dataset';
import type { JobView, RetrainResult } from '@visionops/core/contract';
import { eventually, realDataFile, type TestStack, startTestStack, until } from '@visionops/testkit';

const ADMIN_TOKEN = 'feedback-retrain-admin-token-0123456789';
const EVAL_PER_CLASS = 50;
const FEEDBACK_PER_CLASS = 30;
const HELD_OUT_PER_CLASS = 10;
/**
 * Replay images per class from train.zip, all of them in the replay sample: enough for the shipped
 * REPLAY_RATIO of 3 per feedback image. One epoch, as a quick fix-up.
 */
const REPLAY_PER_CLASS = 90;
const EPOCHS = 1;
/** The shipped PROMOTION_TOLERANCE: one point. */
const TOLERANCE = 0.01;
const testZip = realDataFile('test.zip');

let stack: TestStack;

interface Labelled {
  data: Buffer;
  label: (typeof LABELS)[number];
}

/** Test images after the evaluation set's: a feedback part to retrain on, and a held-out part. */
async function loadImages(): Promise<{ feedback: Labelled[]; heldOut: Labelled[] }> {
  const seen = new Array<number>(LABELS.length).fill(0);
  const feedback: Labelled[] = [];
  const heldOut: Labelled[] = [];
  for await (const item of iterateClassFolderZip(testZip!)) {
    if (isSkipped(item)) continue;
    const k = seen[item.label]!++ - EVAL_PER_CLASS;
    const image = { data: item.data, label: LABELS[item.label]! };
    if (k >= 0 && k < FEEDBACK_PER_CLASS) feedback.push(image);
    else if (k >= FEEDBACK_PER_CLASS && k < FEEDBACK_PER_CLASS + HELD_OUT_PER_CLASS) heldOut.push(image);
  }
  return { feedback, heldOut };
}

beforeAll(async () => {
  if (!testZip) return;
  stack = await startTestStack({
    adminToken: ADMIN_TOKEN,
    evalPerClass: EVAL_PER_CLASS,
    replayPerClass: REPLAY_PER_CLASS,
    replaySampleSize: REPLAY_PER_CLASS * LABELS.length,
    // The gate and the replay as shipped: no worse than production by more than one point, three
    // replay images per feedback image.
    env: {
      PROMOTION_TOLERANCE: String(TOLERANCE),
      REPLAY_RATIO: '3',
      RETRAIN_MAX_UPLOAD_BYTES: String(64 * 1024 * 1024),
    },
  });
  // Until the gateway has loaded the seeded baseline, /predict answers 503.
  await eventually(
    async () => {
      const answer = await fetch(`${stack.gatewayUrl}/ready`).then(
        async (response) => (await response.json()) as { status?: string },
        () => undefined,
      );
      return answer?.status === 'ready';
    },
    90_000,
    'the gateway serving the seeded baseline',
  );
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function predict(
  image: Labelled,
): Promise<{ predictionId: string; label: string; modelVersion: string }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(image.data)], { type: 'image/jpeg' }), 'image.jpg');
  const response = await fetch(`${stack.gatewayUrl}/predict`, { method: 'POST', body: form });
  expect(response.status).toBe(200);
  return (await response.json()) as { predictionId: string; label: string; modelVersion: string };
}

/**
 * Predicts every image and sends its true label as feedback; answers the version that predicted and
 * how many of its answers the feedback found correct (its live accuracy on these images).
 */
async function predictWithFeedback(
  images: readonly Labelled[],
): Promise<{ version: string; correct: number }> {
  const versions = new Set<string>();
  let correct = 0;
  for (const image of images) {
    const answer = await predict(image);
    versions.add(answer.modelVersion);
    const response = await fetch(`${stack.gatewayUrl}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: answer.predictionId, label: image.label }),
    });
    expect(response.status).toBe(201);
    if (((await response.json()) as { correct: boolean }).correct) correct++;
  }
  expect(versions.size).toBe(1);
  return { version: [...versions][0]!, correct };
}

interface FeedbackList {
  waiting: number;
  versions: { modelVersion: string; count: number; correct: number; accuracy: number }[];
}
const feedbackList = async () => (await (await fetch(`${stack.gatewayUrl}/feedback`)).json()) as FeedbackList;

test.runIf(testZip)(
  'when real test images get their true labels as feedback and are retrained on, then the gate decides by its rule and the new version is measured live on held-out images',
  async () => {
    const { feedback, heldOut } = await loadImages();
    const trainedOn = await predictWithFeedback(feedback);
    expect((await feedbackList()).waiting).toBe(feedback.length);

    const started = await fetch(`${stack.gatewayUrl}/retrain/from-feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ epochs: EPOCHS }),
    });
    expect(started.status).toBe(202);
    const { jobId, images } = (await started.json()) as { jobId: string; images: number };
    expect(images).toBe(feedback.length);
    // While the job runs, production meets the held-out images: labelled too, but after the job took
    // its ZIP, so they are never trained on.
    const before = await predictWithFeedback(heldOut);
    expect(before.version).toBe(trainedOn.version);

    const job = await until(
      `job ${jobId} finishing`,
      600_000,
      async () => {
        const view = (await (await fetch(`${stack.gatewayUrl}/jobs/${jobId}`)).json()) as JobView;
        return ['completed', 'failed', 'cancelled'].includes(view.state) ? view : undefined;
      },
      1000,
    );
    expect(job.state, job.failedReason ?? '').toBe('completed');
    const result = job.result as RetrainResult;

    // The gate's rule: promoted exactly when no worse than production by more than the tolerance.
    expect(result.promoted, result.reason).toBe(result.accuracy >= result.productionAccuracy - TOLERANCE);
    if (!result.promoted) {
      expect((await predict(heldOut[0]!)).modelVersion).toBe(before.version);
      const promoted = await fetch(`${stack.gatewayUrl}/models/${result.version}/promote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ reason: 'feedback-retrain test: measured live although the gate refused it' }),
      });
      expect(promoted.status).toBe(200);
    }
    // The gateway follows the promotion; the same held-out images, labelled again, measure it live.
    await eventually(
      async () => (await predict(heldOut[0]!)).modelVersion === result.version,
      30_000,
      `the gateway serving ${result.version}`,
    );
    const after = await predictWithFeedback(heldOut);
    const live = (await feedbackList()).versions;
    const pct = (correct: number, n: number) => `${correct}/${n} = ${((correct / n) * 100).toFixed(1)}%`;

    console.info(
      [
        `feedback -> retrain on real CIFAR-10 test images: ${feedback.length} labelled images retrained on, ${heldOut.length} held out`,
        `job ${jobId}: ${result.parent} -> ${result.version} in ${Math.round(result.seconds.total)} s, trained on ${result.images.uploaded} feedback + ${result.images.replay} replay images, ${EPOCHS} epoch(s)`,
        `evaluation set (${result.evaluation.n} test images): ${result.parent} ${(result.productionAccuracy * 100).toFixed(1)}% -> ${result.version} ${(result.accuracy * 100).toFixed(1)}%`,
        `gate: promoted=${result.promoted} (${result.reason})`,
        `live accuracy on the ${heldOut.length} held-out images' feedback: ${before.version} ${pct(before.correct, heldOut.length)}` +
          `, ${after.version} ${pct(after.correct, heldOut.length)}` +
          (result.promoted ? '' : ' (promoted by hand after the gate refused it)'),
        `GET /feedback live accuracy per version: ${live.map((each) => `${each.modelVersion} ${pct(each.correct, each.count)}`).join(', ')}`,
      ].join('\n'),
    );
    expect(result.parent).toBe(before.version);
    expect(result.images.uploaded).toBe(images);
    expect(after.version).toBe(result.version);
    // Both versions are measured live, each on the held-out images' feedback.
    expect(live.find((each) => each.modelVersion === result.version)?.count).toBe(heldOut.length);
  },
  900_000,
);
