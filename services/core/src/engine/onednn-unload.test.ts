// The addon outlives the threads that load it. Node unloads (dlclose) an addon that a worker
// thread loaded when that thread exits, if no other thread holds it; the addon's libgomp went
// with it while libgomp's idle pool threads were still parked in its code, and the process died
// with SIGSEGV soon after (a gateway whose inference threads stopped, a trainer between jobs).
// Here worker threads use the addon's OpenMP kernels and exit, one after another, in a child
// process whose main thread never loads it: the child must outlive them all.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadOnednnAddon } from '@visionops/engine-native';
import { describe, expect, it } from 'vitest';

const loaded = loadOnednnAddon();
const skipReason = 'reason' in loaded ? loaded.reason : undefined;
const addonIndex = import.meta.resolve('@visionops/engine-native');

/** A worker thread's script: batch normalisation on a heap large enough for a team of 2 threads. */
const WORKER = `
import(${JSON.stringify(addonIndex)}).then(({ loadOnednnAddon }) => {
  const { addon } = loadOnednnAddon();
  addon.setThreads(2);
  const rows = 65536, channels = 16, floats = rows * channels;
  const heap = new ArrayBuffer((2 * floats + 3 * channels) * 4);
  const x = 0, mean = floats * 4, variance = mean + channels * 4, y = variance + channels * 4;
  new Float32Array(heap, variance, channels).fill(1);
  addon.batchNormInference(heap, Int32Array.of(rows, channels, x, mean, variance, -1, -1, y), 1e-3);
});
`;

const CHILD = `
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
for (let round = 0; round < 4; round++) {
  await new Promise((resolve, reject) => {
    const worker = new Worker(${JSON.stringify(WORKER)}, { eval: true });
    worker.on('error', reject);
    worker.on('exit', resolve);
  });
  // Time for libgomp's pool threads to wake where a freed library would have been.
  await new Promise((resolve) => setTimeout(resolve, 150));
}
const maps = readFileSync('/proc/self/maps', 'utf8');
console.log(JSON.stringify({ survived: true, gompMapped: maps.includes('libgomp') }));
`;

describe.skipIf(skipReason !== undefined)(
  `the oneDNN addon across worker threads${skipReason ? ` (skipped: the addon is ${skipReason})` : ''}`,
  () => {
    it('when threads that ran its OpenMP kernels exit one after another, then the process lives on and keeps libgomp loaded', async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD], {
        timeout: 60_000,
      }).catch((error: { code?: number; signal?: string; stderr?: string }) => {
        throw new Error(
          `the child process died (exit code ${error.code}, signal ${error.signal}): ${error.stderr ?? ''}`,
        );
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ survived: true, gompMapped: true });
    });
  },
);
