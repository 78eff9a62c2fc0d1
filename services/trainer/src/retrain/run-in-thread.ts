// Starts a worker thread for one task and waits for its single answer; an abort ends the thread.
import { startWorker } from '@visionops/core';

export async function runInThread<Answer>(module: URL, task: unknown, signal?: AbortSignal): Promise<Answer> {
  signal?.throwIfAborted();
  const worker = startWorker(module, { workerData: task });
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (answer: Answer) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(answer);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`worker thread exited with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}
