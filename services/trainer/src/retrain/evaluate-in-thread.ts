// Starts the evaluation thread for one task and waits for its single answer; an abort ends it.
import { startWorker } from '@visionops/core';
import type { EvaluationAnswer, EvaluationTask } from './evaluation-task.js';

export async function evaluateInThread(
  task: EvaluationTask,
  signal?: AbortSignal,
): Promise<Extract<EvaluationAnswer, { ok: true }>> {
  signal?.throwIfAborted();
  const worker = startWorker(new URL('./evaluation-worker.ts', import.meta.url), { workerData: task });
  try {
    return await new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (answer: EvaluationAnswer) => {
        signal?.removeEventListener('abort', onAbort);
        if (answer.ok) return resolve(answer);
        const error = new Error(`evaluation thread: ${answer.message}`);
        if (answer.stack) error.stack = answer.stack;
        reject(error);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`evaluation thread exited with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}
