// The retrain half of the retrain-under-load scenario: uploads a class-folder ZIP to POST /retrain,
// follows the job, promotes the new version through the API when the evaluation gate refused it
// (so a hot swap happens either way), and notes when the gateway first serves the new version.
import type { JobView } from '@visionops/core/contract';

export interface RetrainRun {
  jobId: string;
  /** Epoch ms: job submitted, job completed, the gateway first answered with the new version. */
  submittedAt: number;
  completedAt: number | undefined;
  swappedAt: number | undefined;
  fromVersion: string;
  toVersion: string | undefined;
  /** True when the evaluation gate promoted the version; false when the driver had to promote it. */
  promotedByGate: boolean | undefined;
  gateReason: string | undefined;
  accuracy: number | undefined;
  productionAccuracy: number | undefined;
  /** Problems that made the retrain part fail (job failed, no swap seen, ...). */
  problems: string[];
}

type JobStatus = Pick<JobView, 'state' | 'finishedAt' | 'failedReason' | 'result'>;

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Each call of the gateway is bounded: a gateway that never answers must not outlast the run. */
const CALL_TIMEOUT_MS = 30_000;
const call = (url: string, init: RequestInit = {}) =>
  fetch(url, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function servingVersion(gatewayUrl: string): Promise<string | null> {
  const models = await json<{ serving: string | null }>(await call(`${gatewayUrl}/models`), 'GET /models');
  return models.serving;
}

export interface RetrainOptions {
  gatewayUrl: string;
  adminToken: string | undefined;
  zip: Buffer;
  epochs: number;
  /** How long the job and the swap may take together. */
  timeoutMs: number;
  log: (message: string) => void;
}

export async function retrainDuringLoad(options: RetrainOptions): Promise<RetrainRun> {
  const { gatewayUrl, adminToken, zip, epochs, timeoutMs, log } = options;
  const deadline = Date.now() + timeoutMs;
  const auth: Record<string, string> = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
  const fromVersion = (await servingVersion(gatewayUrl)) ?? 'none';
  const form = new FormData();
  form.append('file', new Blob([zip], { type: 'application/zip' }), 'loadtest-retrain.zip');
  form.append('epochs', String(epochs));
  const submittedAt = Date.now();
  const { jobId } = await json<{ jobId: string }>(
    await call(`${gatewayUrl}/retrain`, { method: 'POST', body: form, headers: auth }),
    'POST /retrain',
  );
  log(`retrain job ${jobId} submitted (${zip.length} bytes, ${epochs} epoch(s)), serving ${fromVersion}`);
  const run: RetrainRun = {
    jobId,
    submittedAt,
    completedAt: undefined,
    swappedAt: undefined,
    fromVersion,
    toVersion: undefined,
    promotedByGate: undefined,
    gateReason: undefined,
    accuracy: undefined,
    productionAccuracy: undefined,
    problems: [],
  };

  let status: JobStatus | undefined;
  while (Date.now() < deadline) {
    status = await json<JobStatus>(
      await call(`${gatewayUrl}/jobs/${encodeURIComponent(jobId)}`),
      'GET /jobs/:id',
    );
    if (status.state === 'completed' || status.state === 'failed' || status.state === 'cancelled') break;
    await sleep(500);
  }
  if (status?.state !== 'completed' || !status.result) {
    run.problems.push(
      status?.state === 'failed' || status?.state === 'cancelled'
        ? `the retrain job ended ${status.state}: ${status.failedReason ?? 'no reason given'}`
        : `the retrain job did not finish within ${timeoutMs / 1000} s (last state: ${status?.state ?? 'unknown'})`,
    );
    return run;
  }
  const result = status.result;
  run.completedAt = status.finishedAt ? Date.parse(status.finishedAt) : Date.now();
  run.toVersion = result.version;
  run.promotedByGate = result.promoted;
  run.gateReason = result.reason;
  run.accuracy = result.accuracy;
  run.productionAccuracy = result.productionAccuracy;
  log(
    `job ${jobId} completed: ${result.version}, ${result.promoted ? 'promoted by the gate' : `not promoted (${result.reason})`}`,
  );
  if (!result.promoted) {
    // The scenario is about the hot swap under load, so a refused version is promoted anyway.
    await json(
      await call(`${gatewayUrl}/models/${encodeURIComponent(result.version)}/promote`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'load test: hot swap under load' }),
      }),
      'POST /models/:version/promote',
    );
    log(`promoted ${result.version} through the API`);
  }
  while (Date.now() < deadline) {
    if ((await servingVersion(gatewayUrl)) === result.version) {
      run.swappedAt = Date.now();
      log(`the gateway serves ${result.version}`);
      return run;
    }
    await sleep(200);
  }
  run.problems.push(
    `the gateway did not serve ${result.version} within ${timeoutMs / 1000} s of the job's start`,
  );
  return run;
}
