// The production image (infra/Dockerfile), built and run: the gateway and trainer containers,
// on the host's network, against a private Redis and the embedded S3 started here, answer /ready,
// a prediction and a retrain job. Needs a Docker engine: without one it is skipped with the
// reason, except in CI (CI=true), where .ci/run starts one and a missing engine fails the test.
// Where no image registry can be reached, the Node.js base image is built from Debian packages
// by stand-in-node-image.sh (debootstrap) and reused while its tag exists.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from '@visionops/core';
import { buildClassFolderZip } from '@visionops/testkit';
import { freePort } from '../src/free-port.js';
import {
  getJson,
  postRetrain,
  predictImage,
  predictOnce,
  sleep,
  startFaultStack,
  waitForJobView,
  type FaultStack,
} from './fault-helpers.js';

const IMAGE = 'visionops:image-test';
/** Every build and run step together stays well inside CI's budget; a cached build takes seconds. */
const BUILD_TIMEOUT_MS = 25 * 60_000;
const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: '0' };

/** Why docker cannot be used here, or undefined when `docker info` answers. */
function dockerUnavailable(): string | undefined {
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    env: DOCKER_ENV,
  });
  if (probe.error) return `docker is not installed (${(probe.error as NodeJS.ErrnoException).code})`;
  if (probe.status !== 0) {
    const reason = probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    return `the Docker engine does not answer: ${reason}`;
  }
  return undefined;
}

const unavailable = dockerUnavailable();
const mustRun = Boolean(process.env.CI);
if (unavailable && !mustRun) {
  console.info(
    `[docker-image] skipped: ${unavailable}; start one with ` +
      '`dockerd --iptables=false --storage-driver=vfs` (as root) to run it',
  );
}

/** Runs docker with `args`; its output goes to `log`, and a failure throws with the last lines. */
function docker(args: string[], log: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      cwd: repoRoot,
      env: DOCKER_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      writeFileSync(log, output);
      if (code === 0) resolve();
      else {
        const tail = output.trim().split('\n').slice(-25).join('\n');
        reject(new Error(`docker ${args[0]} failed (code ${code}, signal ${signal}); log ${log}:\n${tail}`));
      }
    });
  });
}

function dockerOutput(args: string[]): string {
  const result = spawnSync('docker', args, { cwd: repoRoot, env: DOCKER_ENV, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The base image infra/Dockerfile names (its NODE_IMAGE default). */
function baseImage(): string {
  const dockerfile = readFileSync(join(repoRoot, 'infra/Dockerfile'), 'utf8');
  const match = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile);
  if (!match) throw new Error('infra/Dockerfile has no ARG NODE_IMAGE=<image>');
  return match[1]!;
}

const imageExists = (name: string) =>
  spawnSync('docker', ['image', 'inspect', name], { env: DOCKER_ENV, stdio: 'ignore' }).status === 0;

const STAND_IN_SCRIPT = join(repoRoot, 'infra/test/stand-in-node-image.sh');
/** The stand-in's script, hashed: an image built by an older script is built again. */
const standInVersion = createHash('sha256').update(readFileSync(STAND_IN_SCRIPT)).digest('hex').slice(0, 16);
const standInCurrent = (name: string) =>
  imageExists(name) &&
  dockerOutput(['image', 'inspect', '--format', '{{index .Config.Labels "visionops.stand-in"}}', name]) ===
    standInVersion;

const imageId = (name: string): string | undefined =>
  imageExists(name) ? dockerOutput(['image', 'inspect', '--format', '{{.Id}}', name]) : undefined;

describe.skipIf(unavailable !== undefined && !mustRun)('the production Docker image', () => {
  const logs = mkdtempSync(join(tmpdir(), 'visionops-docker-image-'));
  const containers: string[] = [];
  let stack: FaultStack | undefined;

  beforeAll(async () => {
    if (unavailable) throw new Error(`${unavailable} (.ci/run starts dockerd in CI)`);
    const base = baseImage();
    let started = Date.now();
    if (standInCurrent(base)) {
      console.info(`[docker-image] base ${base}: present, reused`);
    } else {
      const standIn = spawnSync('bash', [STAND_IN_SCRIPT, base], {
        encoding: 'utf8',
        env: { ...DOCKER_ENV, STAND_IN_VERSION: standInVersion },
      });
      if (standIn.status !== 0) {
        throw new Error(
          `${base} is not present and its stand-in could not be built ` +
            `(apt-get install debootstrap): ${standIn.stderr.trim()}`,
        );
      }
      console.info(`[docker-image] base ${base}: ${standIn.stdout.trim()} in ${Date.now() - started} ms`);
    }
    started = Date.now();
    const previous = imageId(IMAGE);
    // The host's network: the build reaches the package registries the host reaches. No
    // libtensorflow download (TFJS_NODE=skip): the gateway runs the oneDNN engine, whose addon the
    // image builds against Debian's libdnnl, the trainer wasm.
    await docker(
      [
        'build',
        '--network',
        'host',
        '--build-arg',
        'TFJS_NODE=skip',
        '-f',
        'infra/Dockerfile',
        '-t',
        IMAGE,
        '.',
      ],
      join(logs, 'build.log'),
      BUILD_TIMEOUT_MS,
    );
    // The image this build replaced, with the layers only it used: storage drivers that copy every
    // layer whole (vfs) would otherwise fill the disk a few gigabytes per change.
    if (previous && previous !== imageId(IMAGE)) {
      spawnSync('docker', ['rmi', previous], { env: DOCKER_ENV, stdio: 'ignore' });
    }
    const bytes = Number(dockerOutput(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
    console.info(
      `[docker-image] built ${IMAGE} in ${Date.now() - started} ms: ${(bytes / 1e6).toFixed(0)} MB`,
    );
    stack = await startFaultStack();
  }, BUILD_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    for (const name of containers)
      spawnSync('docker', ['rm', '-f', name], { env: DOCKER_ENV, stdio: 'ignore' });
    await stack?.stop();
    rmSync(logs, { recursive: true, force: true });
  });

  test('when the image is inspected, then it holds the compiled services and no development tooling', () => {
    const listing = dockerOutput([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls node_modules/.pnpm /usr/local/lib/node_modules; ls services/*; command -v g++ pnpm tsx; echo "user=$(id -un)"',
    ]);
    const packages = listing.split('\n');
    for (const tool of ['tsx', 'typescript', 'vitest', 'eslint', 'vite', 'esbuild', 'prettier', 'svelte']) {
      expect(
        packages.filter((entry) => entry.startsWith(`${tool}@`)),
        tool,
      ).toEqual([]);
    }
    // Production dependencies are there, the TypeScript sources are not.
    expect(packages.some((entry) => entry.startsWith('bullmq@'))).toBe(true);
    expect(packages).toContain('dist');
    expect(packages).not.toContain('src');
    expect(packages.filter((entry) => /\/(g\+\+|pnpm|tsx)$/.test(entry))).toEqual([]);
    expect(packages).toContain('user=node');
    // One container, but creating it copies the whole image on storage drivers such as vfs.
  }, 180_000);

  test('when the gateway and the trainer run from it, then /ready, a prediction and a retrain job succeed', async () => {
    const gatewayPort = await freePort();
    const trainerPort = await freePort();
    const suffix = randomUUID().slice(0, 8);
    const env = stack!.env;
    const settings: Record<string, string> = {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ML_BACKEND: 'auto',
      ADMIN_TOKEN: '',
      INFERENCE_THREADS: '1',
      TRAIN_THREADS: '1',
      PORT: String(gatewayPort),
      TRAINER_HEALTH_PORT: String(trainerPort),
    };
    for (const key of [
      'REDIS_URL',
      'S3_ENDPOINT',
      'S3_ACCESS_KEY',
      'S3_SECRET_KEY',
      'S3_BUCKET',
      'QUEUE_PREFIX',
      'MODEL_POLL_INTERVAL_MS',
      'RETRAIN_BACKOFF_MS',
      'REPLAY_SAMPLE_SIZE',
      'REPLAY_RATIO',
    ]) {
      settings[key] = env[key]!;
    }
    const envArgs = Object.entries(settings).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    // As docker-compose.yml runs them: no capabilities, no privilege gain.
    const run = (name: string, command: string[], extra: string[] = []) => {
      containers.push(name);
      dockerOutput([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges:true',
        ...envArgs,
        ...extra,
        IMAGE,
        ...command,
      ]);
    };
    const gateway = `visionops-test-gateway-${suffix}`;
    const trainer = `visionops-test-trainer-${suffix}`;
    // Both choose their engine (auto): the image built the oneDNN addon, so that is what runs.
    run(gateway, []);
    run(trainer, ['node', '--conditions=visionops-dist', 'services/trainer/dist/main.js']);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

    try {
      const started = Date.now();
      let ready: { status: number; body: { status?: string; backend?: string } } | undefined;
      while (Date.now() - started < 120_000) {
        ready = await getJson<{ status?: string; backend?: string }>(`${gatewayUrl}/ready`).catch(
          () => undefined,
        );
        if (ready?.status === 200 && ready.body.status === 'ready') break;
        await sleep(500);
      }
      expect(ready?.body).toMatchObject({ status: 'ready', backend: 'onednn' });
      const readyMs = Date.now() - started;
      const command = dockerOutput(['exec', gateway, 'cat', '/proc/1/cmdline']).split('\0');
      expect(command.filter((word) => word !== '')).toEqual([
        'node',
        '--conditions=visionops-dist',
        'services/gateway/dist/main.js',
      ]);

      const prediction = await predictOnce(gatewayUrl, await predictImage());
      expect(prediction).toMatchObject({ status: 200, modelVersion: 'v1' });

      while (
        (await getJson(`http://127.0.0.1:${trainerPort}/health`).catch(() => undefined))?.status !== 200
      ) {
        if (Date.now() - started > 180_000) throw new Error('the trainer container never answered /health');
        await sleep(500);
      }
      const { zip } = await buildClassFolderZip({ perClass: 4 });
      const jobId = await postRetrain(gatewayUrl, zip, 1);
      const job = await waitForJobView(gatewayUrl, jobId, 300_000);
      expect(job.state, job.failedReason ?? '').toBe('completed');
      expect(job.result?.version).toMatch(/^v\d+$/);
      console.info(
        `[docker-image] gateway ready in ${readyMs} ms (backend ${ready?.body.backend}); prediction ` +
          `${prediction.status} by ${prediction.modelVersion}; retrain job ${jobId} ${job.state} ` +
          `(version ${job.result?.version}, promoted ${job.result?.promoted}) ${Date.now() - started} ms after start`,
      );
    } catch (error) {
      for (const name of [gateway, trainer]) {
        const logs = spawnSync('docker', ['logs', '--tail', '40', name], {
          env: DOCKER_ENV,
          encoding: 'utf8',
        });
        console.error(`[docker-image] ${name} log:\n${logs.stdout}${logs.stderr}`);
      }
      throw error;
    }
  }, 480_000);
});
