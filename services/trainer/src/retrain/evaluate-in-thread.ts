// Evaluates a fine-tuned candidate and its parent in a worker thread and waits for the answer.
import type { EvaluationAnswer, EvaluationTask } from './evaluation-task.js';
import { runInThread } from './run-in-thread.js';

export async function evaluateInThread(
  task: EvaluationTask,
  signal?: AbortSignal,
): Promise<Extract<EvaluationAnswer, { ok: true }>> {
  const answer = await runInThread<EvaluationAnswer>(
    new URL('./evaluation-worker.js', import.meta.url),
    task,
    signal,
  );
  if (answer.ok) return answer;
  const error = new Error(`evaluation thread: ${answer.message}`);
  if (answer.stack) error.stack = answer.stack;
  throw error;
}
