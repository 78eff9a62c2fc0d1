// The canary-rollout scenario's driver side: while artillery sends /predict load (each virtual user
// with its own x-client-id), start a canary of a candidate through POST /rollouts, follow it until
// its criteria decide, and wait for the gateway to serve the promoted version. Times are epoch ms.

export interface RolloutRunOptions {
  gatewayUrl: string;
  adminToken: string | undefined;
  candidate: string;
  percent: number;
  minRequests: number;
  maxP99Ms: number;
  timeoutMs: number;
  log: (message: string) => void;
}

export interface RolloutFigures {
  requests: number;
  errors: number;
  p99Ms: number | null;
  compared: number;
  agreement: number | null;
}

export interface RolloutRun {
  id: string | undefined;
  candidate: string;
  percent: number;
  startedAt: number;
  decidedAt?: number;
  swappedAt?: number;
  outcome?: string;
  decidedBy?: string;
  reason?: string;
  production?: RolloutFigures;
  canary?: RolloutFigures;
  /** The candidate's share of the requests answered during the rollout, 0 to 1. */
  candidateShare?: number;
  problems: string[];
}

interface RecordBody {
  id: string;
  outcome: string;
  decidedBy: string;
  reason: string;
  stats: { production: RolloutFigures; candidate: RolloutFigures } | null;
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as T };
}

/** The newest version that is not in production, for a canary against a TARGET gateway. */
export async function newestNonProductionVersion(gatewayUrl: string): Promise<string | undefined> {
  const { body } = await json<{ production: { version: string } | null; versions: { version: string }[] }>(
    `${gatewayUrl}/models`,
  );
  return body.versions
    .map((card) => card.version)
    .filter((version) => version !== body.production?.version)
    .at(-1);
}

export async function rolloutDuringLoad(options: RolloutRunOptions): Promise<RolloutRun> {
  const { gatewayUrl, adminToken, candidate, percent, log } = options;
  const run: RolloutRun = { id: undefined, candidate, percent, startedAt: Date.now(), problems: [] };
  const deadline = Date.now() + options.timeoutMs;
  const started = await json<{ rollout?: { id: string }; error?: { message: string } }>(
    `${gatewayUrl}/rollouts`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
      },
      body: JSON.stringify({
        candidate,
        mode: 'canary',
        percent,
        mirrorPercent: 25,
        criteria: {
          minRequests: options.minRequests,
          autoPromote: true,
          maxErrorRate: 0.01,
          maxP99Ms: options.maxP99Ms,
          minAgreement: 0.9,
          minSamples: 20,
        },
        reason: 'canary-rollout load test',
      }),
    },
  );
  if (started.status !== 201 || !started.body.rollout) {
    run.problems.push(`POST /rollouts answered ${started.status}: ${started.body.error?.message ?? ''}`);
    return run;
  }
  const id = started.body.rollout.id;
  run.id = id;
  log(`canary ${id} of ${candidate} at ${percent}% started`);

  let record: RecordBody | undefined;
  while (!record && Date.now() < deadline) {
    await sleep(500);
    const history = await json<{ rollouts: RecordBody[] }>(`${gatewayUrl}/rollouts/history?limit=5`);
    record = history.body.rollouts.find((entry) => entry.id === id);
  }
  if (!record) {
    run.problems.push(`the criteria did not decide within ${options.timeoutMs / 1000} s`);
    return run;
  }
  run.decidedAt = Date.now();
  Object.assign(run, { outcome: record.outcome, decidedBy: record.decidedBy, reason: record.reason });
  if (record.stats) {
    run.production = record.stats.production;
    run.canary = record.stats.candidate;
    const answered = record.stats.production.requests + record.stats.candidate.requests;
    if (answered > 0) run.candidateShare = record.stats.candidate.requests / answered;
  }
  log(`canary ${id}: ${record.outcome} by ${record.decidedBy}: ${record.reason}`);
  if (record.outcome !== 'promoted' || record.decidedBy !== 'criteria') {
    run.problems.push(
      `the canary ended ${record.outcome} by ${record.decidedBy}, not promoted by its criteria`,
    );
    return run;
  }
  while (Date.now() < deadline) {
    const models = await json<{ serving: string | null }>(`${gatewayUrl}/models`);
    if (models.body.serving === candidate) {
      run.swappedAt = Date.now();
      break;
    }
    await sleep(250);
  }
  if (run.swappedAt === undefined) run.problems.push(`the gateway did not serve ${candidate} in time`);
  return run;
}
