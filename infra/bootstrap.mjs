#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run build` on a fresh clone: installs the pnpm
// workspace when the lockfile or a manifest changed since the last install, then runs the
// requested command.
// Plain JavaScript with no dependencies, because nothing else is installed when it first runs.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM = 'pnpm@10.34.9';
const stampFile = join(root, 'node_modules', '.visionops-install');
const manifests = [
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'package.json',
  'services/core/package.json',
  'services/gateway/package.json',
  'services/trainer/package.json',
  'services/cli/package.json',
  'services/engine-native/package.json',
  'services/testkit/package.json',
  'web/package.json',
  'infra/package.json',
  'artillery/package.json',
];

function fingerprint() {
  const hash = createHash('sha256');
  for (const file of manifests) {
    const path = join(root, file);
    hash.update(file).update(existsSync(path) ? readFileSync(path) : '');
  }
  return hash.digest('hex');
}

function childEnv(extra = {}) {
  return {
    ...process.env,
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    ARTILLERY_DISABLE_TELEMETRY: 'true',
    ...extra,
  };
}

function run(command, args, extraEnv = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: childEnv(extraEnv),
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// The child gets Ctrl-C from the terminal itself; SIGTERM sent to this process only is passed on,
// and this process waits for the child to finish its own clean shutdown.
function runForwardingSignals(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: childEnv() });
    const forward = (signal) => () => child.kill(signal);
    const onInt = () => {};
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

function ensureInstalled() {
  const wanted = fingerprint();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === wanted) return;
  console.log('[visionops] installing the workspace (first run or dependencies changed)...');
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile'] : [];
  const status = run('npx', ['-y', PNPM, 'install', ...frozen]);
  if (status !== 0) {
    console.error('[visionops] install failed; see the messages above.');
    process.exit(status);
  }
  writeFileSync(stampFile, wanted);
}

// The dashboard (web/) is built into web/dist, which the gateway serves at /. It is rebuilt when
// a source file is newer than the build, which takes a second or two.
const webDir = join(root, 'web');
const webSources = ['src', 'index.html', 'vite.config.ts', 'svelte.config.js', 'package.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function ensureDashboardBuilt() {
  const built = join(webDir, 'dist', 'index.html');
  const sources = Math.max(...webSources.map((name) => newestMtime(join(webDir, name))));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  console.log('[visionops] building the dashboard (web/dist)...');
  const vite = join(webDir, 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build', '--logLevel', 'warn'], {
    cwd: webDir,
    stdio: 'inherit',
    env: childEnv(),
  });
  if (result.error || result.status !== 0) {
    console.error('[visionops] the dashboard build failed; see the messages above.');
    process.exit(result.status || 1);
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
// The services' production build: each package's src/ compiled to its dist/ (tsc project
// references, so core is built first and once). `start --compiled` runs the stack from it.
const buildProjects = ['services/gateway/tsconfig.build.json', 'services/trainer/tsconfig.build.json'];
const steps = {
  install: [],
  build: [[bin('tsc'), ['-b', ...buildProjects]]],
  start: [[bin('tsx'), ['infra/src/start-stack.ts', ...process.argv.slice(3)]]],
  test: [
    [bin('eslint'), ['.']],
    [bin('prettier'), ['--check', '.', '--log-level', 'warn']],
    [bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
    // The dashboard: its .svelte components and its TypeScript, with the DOM types (web/src/tsconfig.json).
    [
      join(webDir, 'node_modules', '.bin', 'svelte-check'),
      ['--workspace', webDir, '--tsconfig', join(webDir, 'src', 'tsconfig.json'), '--fail-on-warnings'],
    ],
    [bin('vitest'), ['run', ...process.argv.slice(3)]],
  ],
};

const command = process.argv[2] ?? 'install';
const plan = steps[command];
if (!plan) {
  console.error(`[visionops] unknown command "${command}"; use one of: ${Object.keys(steps).join(', ')}`);
  process.exit(2);
}
ensureInstalled();
if (command !== 'install') ensureDashboardBuilt();
for (const [exe, args] of plan) {
  const status = await runForwardingSignals(exe, args);
  if (status !== 0) process.exit(status);
}
