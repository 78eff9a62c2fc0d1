// Bounds how long a caller waits for a promise: Redis and S3 calls that hang (a connection that
// stays open but no longer answers) must not hold a request or a readiness probe.

/** `promise`, or a rejection with `Error(message)` once `ms` have passed; the loser is ignored. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // The losing promise may still settle later; its outcome no longer matters.
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
