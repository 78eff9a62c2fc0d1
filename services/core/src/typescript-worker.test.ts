// Which module a worker thread runs: the compiled one when it exists, its TypeScript source through
// tsx otherwise.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { startWorker, workerEntry } from './typescript-worker.js';

describe('workerEntry', () => {
  let dir: string;
  const url = (name: string) => pathToFileURL(join(dir, name));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('when the compiled module exists, then the thread runs it as it is', () => {
    dir = mkdtempSync(join(tmpdir(), 'visionops-worker-'));
    writeFileSync(join(dir, 'job-worker.js'), '');
    writeFileSync(join(dir, 'job-worker.ts'), '');
    expect(workerEntry(url('job-worker.js'))).toEqual({ url: url('job-worker.js'), typescript: false });
  });

  test('when only the TypeScript source exists, then the thread runs the source through tsx', () => {
    dir = mkdtempSync(join(tmpdir(), 'visionops-worker-'));
    writeFileSync(join(dir, 'job-worker.ts'), '');
    expect(workerEntry(url('job-worker.js'))).toEqual({ url: url('job-worker.ts'), typescript: true });
  });

  test('when neither exists, or the module is named by its .ts path, then it says so', () => {
    dir = mkdtempSync(join(tmpdir(), 'visionops-worker-'));
    expect(() => workerEntry(url('missing-worker.js'))).toThrow(/no worker module at .*missing-worker\.js/);
    writeFileSync(join(dir, 'job-worker.ts'), '');
    expect(() => workerEntry(url('job-worker.ts'))).toThrow(/by its \.js path/);
  });

  test('when a TypeScript worker is started, then it runs through tsx and answers', async () => {
    dir = mkdtempSync(join(tmpdir(), 'visionops-worker-'));
    // An ES module, as every package of the workspace is.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(
      join(dir, 'echo-worker.ts'),
      "import { parentPort } from 'node:worker_threads';\nconst answer: string = 'typed';\nparentPort!.postMessage(answer);\n",
    );
    const worker = startWorker(url('echo-worker.js'));
    try {
      const answer = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(answer).toBe('typed');
    } finally {
      await worker.terminate();
    }
  });
});
