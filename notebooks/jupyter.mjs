#!/usr/bin/env node
// `npm run notebook` and `npm run notebook:check`: registers the project's TypeScript kernel (tslab
// started with tsx's loader, so cells can import the workspace's .ts modules) in .jupyter/ of this
// checkout, then opens the notebook in Jupyter, or executes it headless and writes the executed copy
// and docs/notebook.html. Plain JavaScript with no dependencies besides the installed workspace.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const KERNEL_NAME = 'visionops-typescript';
const NOTEBOOK = 'notebooks/cifar10-pipeline.ipynb';
const EXECUTED = 'notebooks/cifar10-pipeline.executed.ipynb';
const jupyterPath = join(root, '.jupyter');
const INSTALL_HINT =
  'install Jupyter from the OS packages: apt-get install -y --no-install-recommends ' +
  'jupyter-notebook python3-nbconvert python3-nbclient python3-ipykernel';

function fail(message) {
  console.error(`[notebook] ${message}`);
  process.exit(1);
}

/** Writes .jupyter/kernels/visionops-typescript/kernel.json with this machine's absolute paths. */
function registerKernel() {
  const tslab = join(root, 'node_modules', 'tslab', 'bin', 'tslab');
  if (!existsSync(tslab)) fail('tslab is not installed; run `npm run setup` first');
  const dir = join(jupyterPath, 'kernels', KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [
      process.execPath,
      // tsx's loader lets the kernel import the workspace's TypeScript modules as the services do.
      '--import',
      import.meta.resolve('tsx'),
      tslab,
      'kernel',
      '--config-path',
      '{connection_file}',
    ],
    display_name: 'TypeScript (visionops: tslab on Node.js)',
    language: 'typescript',
  };
  writeFileSync(join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
}

function jupyterEnv() {
  const inherited = process.env.JUPYTER_PATH;
  return {
    ...process.env,
    JUPYTER_PATH: inherited ? `${jupyterPath}${delimiter}${inherited}` : jupyterPath,
    // Connection files and the server's cookie secret stay in the checkout too, not in ~.
    JUPYTER_RUNTIME_DIR: process.env.JUPYTER_RUNTIME_DIR ?? join(jupyterPath, 'runtime'),
  };
}

/** A Python with nbconvert and nbclient: the one on PATH, else Debian's (pyenv may shadow it). */
function findPython() {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import nbconvert, nbclient'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  fail(`no python3 with nbconvert and nbclient was found; ${INSTALL_HINT}`);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: jupyterEnv() });
  if (result.error) fail(`${command}: ${result.error.message}`);
  return result.status ?? 1;
}

function check() {
  const python = findPython();
  const started = Date.now();
  // A cell that runs longer than the timeout is a hang: the whole notebook takes a few minutes.
  const executed = run(python, [
    'notebooks/execute-notebook.py',
    NOTEBOOK,
    EXECUTED,
    join(jupyterPath, 'kernel.log'),
    KERNEL_NAME,
    '900',
  ]);
  if (executed !== 0) fail(`a cell failed; its output is above, the run so far in ${EXECUTED}`);
  const html = run(python, [
    '-m',
    'nbconvert',
    '--to',
    'html',
    '--output',
    'notebook',
    '--output-dir',
    'docs',
    EXECUTED,
  ]);
  if (html !== 0) fail('the HTML export failed');
  console.log(
    `[notebook] executed ${NOTEBOOK} in ${Math.round((Date.now() - started) / 1000)} s: ${EXECUTED}, docs/notebook.html`,
  );
}

function open() {
  // The notebook server refuses to run as root (containers, CI machines) unless told it may.
  const asRoot = process.getuid?.() === 0 ? ['--allow-root'] : [];
  const status = run('jupyter-notebook', [...asRoot, NOTEBOOK, ...process.argv.slice(3)]);
  if (status !== 0) fail(`jupyter-notebook exited with ${status}; if it is missing, ${INSTALL_HINT}`);
}

const command = process.argv[2] ?? 'open';
registerKernel();
if (command === 'check') check();
else if (command === 'open') open();
else if (command !== 'register') fail(`unknown command "${command}"; use open, check or register`);
