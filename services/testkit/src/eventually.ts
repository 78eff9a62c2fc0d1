// Waiting in tests on something observable (an HTTP answer, a job state, a log line) instead of a
// fixed sleep: a fixed sleep is too short on a loaded machine and needlessly long on an idle one.
// The one polling loop of the tests: every other wait is written with these two.

/**
 * Calls `probe` until it returns a value other than undefined and returns that value; throws,
 * naming `what`, once `timeoutMs` has passed. A probe that throws ends the wait with its error.
 */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  intervalMs = 100,
  /** What was last seen, for the error when the wait times out. */
  lastSeen?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${lastSeen ? ` (last seen: ${lastSeen()})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until `check` holds (polling every 20 ms); throws once `timeoutMs` has passed. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  await until(what, timeoutMs, async () => ((await check()) ? true : undefined), 20);
}
