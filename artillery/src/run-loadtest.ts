// `npm run loadtest` (every scenario), `npm run loadtest:smoke` (--smoke) and `npm run
// loadtest:canary` (--canary, the canary rollout alone): runs the artillery
// scenarios against TARGET, or against a local stack it starts and stops itself, evaluates their
// SLOs and writes artillery's raw JSON, summary.json, report.md and report.html into
// artillery/reports/<mode>-<time>/. Exits 1 on any SLO breach.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { reportFigures, findKnee } from './artillery-report.js';
import { prepareImagePool } from './image-pool.js';
import { startLocalStack, type LocalStack } from './local-stack.js';
import { retrainPhases } from './phase-figures.js';
import { renderHtml, renderMarkdown } from './render-report.js';
import { retrainDuringLoad, type RetrainRun } from './retrain-during-load.js';
import { newestNonProductionVersion, rolloutDuringLoad, type RolloutRun } from './rollout-during-load.js';
import { killArtilleryRuns, packageDir, runArtillery, scenarioDir } from './run-artillery.js';
import type { RunResult, ScenarioResult } from './run-result.js';
import { CANARY_RUN, FULL_RUN, SMOKE_RUN, type Scenario } from './scenarios.js';
import { evaluateSlo, readScenarioSlo } from './slo.js';
import { formatThreadUse, sampleThreads } from './thread-sample.js';
import { loadTarget } from './load-target.js';
import { sliceZip } from '@visionops/testkit';

const log = (message: string) => process.stdout.write(`[loadtest] ${message}\n`);

let runningStack: LocalStack | undefined;
const stops = new WeakMap<LocalStack, Promise<void>>();
/** Stops the local stack once; every caller (the run's end, the smoke budget) waits for that stop. */
const stopStack = (): Promise<void> => {
  const stack = runningStack;
  if (!stack) return Promise.resolve();
  const stop = stops.get(stack) ?? stack.stop();
  stops.set(stack, stop);
  return stop;
};

async function waitReady(gatewayUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      // A gateway that accepts the connection but never answers must not outlast the deadline.
      const response = await fetch(`${gatewayUrl}/ready`, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 500));
  }
  throw new Error(`${gatewayUrl}/ready did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

interface RunContext {
  target: string;
  adminToken: string | undefined;
  payloadCsv: string;
  reportDir: string;
  stack: LocalStack | undefined;
  threadSamples: string[];
}

async function runScenario(scenario: Scenario, context: RunContext): Promise<ScenarioResult> {
  const file = join(scenarioDir, scenario.file);
  const slo = readScenarioSlo(readFileSync(file, 'utf8'), file);
  const rawFile = `${scenario.name}.json`;
  let artilleryPid: number | undefined;
  const sampled: Promise<void>[] = [];
  // Thread placement under load: once in the steady scenario, once while the retrain job trains.
  const sampleAt = (delayMs: number, label: string) => {
    const stack = context.stack;
    if (!stack) return;
    sampled.push(
      new Promise<void>((resolveSleep) => setTimeout(resolveSleep, delayMs)).then(async () => {
        const processes = [
          ...stack.processes,
          ...(artilleryPid ? [{ name: 'artillery', pid: artilleryPid }] : []),
        ];
        context.threadSamples.push(formatThreadUse(label, await sampleThreads(processes, 3000)));
      }),
    );
  };
  // The upload is built before the load starts: reading train.zip takes a while on a busy machine.
  let retrainZip: Buffer | undefined;
  if (scenario.retrain) {
    const { imagesPerClass } = scenario.retrain;
    const slice = await sliceZip('train.zip', imagesPerClass, { skip: 200 });
    retrainZip = slice.zip;
    log(
      `${scenario.name}: ${imagesPerClass * 10} ${slice.real ? 'CIFAR-10 training' : 'generated'} images to retrain on`,
    );
  }
  log(`${scenario.name}: running ${relative(packageDir, file)}`);
  const artillery = runArtillery({
    scenarioFile: file,
    target: context.target,
    payloadCsv: context.payloadCsv,
    ...(scenario.variables ? { variables: scenario.variables } : {}),
    outputFile: join(context.reportDir, rawFile),
    logFile: join(context.reportDir, `${scenario.name}.log`),
    timeoutMs: scenario.timeoutMs,
    onStart: (pid) => (artilleryPid = pid),
  });
  if (scenario.name === 'predict-steady') sampleAt(30_000, `${scenario.name}, 30 s into artillery's start`);
  // About 10 s of start-up, then 20 s steps: 95 s in is the 150/s step, 115 s the 200/s one.
  if (scenario.name === 'predict-ramp') {
    sampleAt(95_000, `${scenario.name}, about the 150/s step`);
    sampleAt(115_000, `${scenario.name}, about the 200/s step`);
  }

  let retrain: RetrainRun | undefined;
  if (scenario.retrain) {
    const { afterMs, epochs } = scenario.retrain;
    const zip = retrainZip!;
    // afterMs counts from artillery's spawn, which takes a few seconds to start sending (about 4 s
    // on a quiet machine, more under load).
    await new Promise((resolveSleep) => setTimeout(resolveSleep, afterMs));
    sampleAt(8_000, `${scenario.name}, while the retrain job trains`);
    retrain = await retrainDuringLoad({
      gatewayUrl: context.target,
      adminToken: context.adminToken,
      zip,
      epochs,
      timeoutMs: scenario.timeoutMs - afterMs - 30_000,
      log: (message) => log(`${scenario.name}: ${message}`),
    });
  }
  let rollout: RolloutRun | undefined;
  if (scenario.rollout) {
    const { afterMs, percent, minRequests, maxP99Ms } = scenario.rollout;
    await new Promise((resolveSleep) => setTimeout(resolveSleep, afterMs));
    // A local stack gets a fresh candidate (a copy of production); a TARGET its newest other version.
    const candidate = context.stack
      ? await context.stack.publishCandidate()
      : await newestNonProductionVersion(context.target);
    if (candidate) {
      rollout = await rolloutDuringLoad({
        gatewayUrl: context.target,
        adminToken: context.adminToken,
        candidate,
        percent,
        minRequests,
        maxP99Ms,
        timeoutMs: scenario.timeoutMs - afterMs - 30_000,
        log: (message) => log(`${scenario.name}: ${message}`),
      });
    } else {
      rollout = {
        id: undefined,
        candidate: '-',
        percent,
        startedAt: Date.now(),
        problems: ['no version other than production to roll out'],
      };
    }
  }
  const { exitCode, report } = await artillery;
  await Promise.all(sampled);
  const figures = reportFigures(report);
  const result: ScenarioResult = {
    name: scenario.name,
    description: scenario.description,
    rawFile,
    figures,
    checks: evaluateSlo(slo, report.aggregate),
    artilleryExitCode: exitCode,
  };
  if (scenario.name === 'predict-ramp') {
    const knee = findKnee(figures.periods);
    if (knee) result.knee = knee;
  }
  if (retrain) {
    const loadStartedAt = figures.periods[0]?.from ?? retrain.submittedAt;
    const phases = retrainPhases(figures.periods, { ...retrain, loadStartedAt });
    const problems = [...retrain.problems];
    if (retrain.swappedAt !== undefined && retrain.swappedAt > (figures.total.to || 0)) {
      problems.push('the swap came after the load ended, so it was not measured under load');
    }
    result.retrain = {
      ...retrain,
      images: scenario.retrain!.imagesPerClass * 10,
      epochs: scenario.retrain!.epochs,
      ...phases,
      problems,
    };
    result.checks.push({
      check: 'retrain job completed and hot-swapped under load',
      actual: problems.length,
      ok: problems.length === 0,
    });
  }
  if (rollout) {
    const problems = [...rollout.problems];
    if (rollout.swappedAt !== undefined && rollout.swappedAt > (figures.total.to || 0)) {
      problems.push('the promoted candidate was served only after the load ended');
    }
    result.rollout = { ...rollout, problems };
    result.checks.push({
      check: 'canary promoted by its criteria and served under load',
      actual: problems.length,
      ok: problems.length === 0,
    });
    // Distinct clients by a stable hash: the candidate's share is the canary's percent, give or take.
    const share = rollout.candidateShare === undefined ? undefined : rollout.candidateShare * 100;
    result.checks.push({
      check: `candidate share of answers during the canary within ${rollout.percent}% +- 5`,
      actual: share === undefined ? undefined : Number(share.toFixed(1)),
      ok: share !== undefined && Math.abs(share - rollout.percent) <= 5,
    });
  }
  const passed = exitCode === 0 && result.checks.every((check) => check.ok);
  log(
    `${scenario.name}: ${passed ? 'SLOs held' : 'SLO BREACH'}; ${figures.total.responses} answers at ${figures.total.perSecond.toFixed(1)}/s, p99 ${figures.total.latency?.p99 ?? '-'} ms, failed ${figures.total.failed}`,
  );
  return result;
}

async function main(): Promise<number> {
  const mode = process.argv.includes('--smoke')
    ? 'smoke'
    : process.argv.includes('--canary')
      ? 'canary'
      : 'full';
  const scenarios = mode === 'smoke' ? SMOKE_RUN : mode === 'canary' ? CANARY_RUN : FULL_RUN;
  const startedAt = new Date();
  const reportDir = join(packageDir, 'reports', `${mode}-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(reportDir, { recursive: true });
  const poolDir = mkdtempSync(join(tmpdir(), 'visionops-loadtest-images-'));
  const loadBefore = loadavg();
  log(`load average before: ${loadBefore.map((value) => value.toFixed(2)).join(' ')}`);

  const configured = loadTarget(process.env);
  let stack: LocalStack | undefined;
  let target: string;
  let adminToken: string | undefined;
  const threadSamples: string[] = [];
  try {
    const pool = await prepareImagePool(poolDir, mode === 'smoke' ? 10 : 30);
    log(`image pool: ${pool.source}`);
    if (configured.target) {
      target = configured.target;
      adminToken = configured.adminToken;
      log(`target: ${target} (TARGET)`);
    } else {
      adminToken = randomBytes(16).toString('hex');
      const started = Date.now();
      stack = runningStack = await startLocalStack({ trainer: scenarios.some((s) => s.retrain), adminToken });
      target = stack.gatewayUrl;
      log(`local stack at ${target}, up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    await waitReady(target, 90_000);
    await stack?.datasetsReady(120_000);

    const context: RunContext = {
      target,
      adminToken,
      payloadCsv: pool.csvPath,
      reportDir,
      stack,
      threadSamples,
    };
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) results.push(await runScenario(scenario, context));

    const result: RunResult = {
      mode,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      target,
      localStack: stack !== undefined,
      images: pool.source,
      machine: {
        cpus: cpus().length,
        loadBefore,
        loadAfter: loadavg(),
        threads: threadSamples.length > 0 ? threadSamples.join('\n\n') : undefined,
      },
      scenarios: results,
    };
    writeFileSync(join(reportDir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(reportDir, 'report.md'), renderMarkdown(result));
    writeFileSync(join(reportDir, 'report.html'), renderHtml(result));
    log(`load average after: ${result.machine.loadAfter.map((value) => value.toFixed(2)).join(' ')}`);
    log(`report: ${join(reportDir, 'report.html')} (and report.md, summary.json, raw artillery JSON)`);
    const passed = results.every((r) => r.artilleryExitCode === 0 && r.checks.every((check) => check.ok));
    for (const r of results) {
      for (const check of r.checks.filter((c) => !c.ok))
        log(`breach in ${r.name}: ${check.check} (measured ${check.actual ?? 'nothing'})`);
      if (r.artilleryExitCode !== 0)
        log(`artillery exited with ${r.artilleryExitCode} in ${r.name}; see ${r.name}.log`);
    }
    return passed ? 0 : 1;
  } finally {
    // A run that ends on an error must not leave artillery sending load after the driver exits.
    killArtilleryRuns();
    await stopStack();
    rmSync(poolDir, { recursive: true, force: true });
  }
}

// The smoke run is a CI step with a budget of 2 minutes, stack start included: past it, it fails.
const SMOKE_BUDGET_MS = 120_000;
if (process.argv.includes('--smoke')) {
  setTimeout(() => {
    log(`failed: the smoke run took longer than ${SMOKE_BUDGET_MS / 1000} s`);
    killArtilleryRuns();
    void stopStack().finally(() => process.exit(1));
  }, SMOKE_BUDGET_MS).unref();
}

try {
  process.exitCode = await main();
} catch (error) {
  log(`failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
}
// Exit explicitly: a client library keeping a handle open must not keep a finished run alive.
process.exit();
