// Polls a condition until it holds, a deadline passes or the caller gives up: used to wait for
// servers that were just started to answer.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the error message ("Redis at redis://... to answer PING"). */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal | undefined;
}

/**
 * Resolves once `check` returns true. A `check` that throws stops the wait with its error, which
 * lets a caller give up early (for example when the process it waits for has exited).
 */
export async function waitFor(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 100;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await check()) return;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    }
    await sleep(intervalMs);
  }
}
