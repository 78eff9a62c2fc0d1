// Handing a running retrain job back to the queue when its trainer stops: the job's AbortSignal is
// aborted with RELEASE_REASON, the handler stops where it is and throws JobReleasedError, and the
// worker moves the job back to wait without counting an attempt, so another trainer takes it at once.

/** The abort reason of a job whose trainer is stopping (a cancel on request has another one). */
export const RELEASE_REASON = 'trainer stopping';

export class JobReleasedError extends Error {
  override name = 'JobReleasedError';
}

export function isRelease(reason: unknown): boolean {
  return reason === RELEASE_REASON;
}

/** The abort reason of a run whose job lock lapsed: the job runs again elsewhere, this run stops. */
export const LOCK_LOST_REASON = 'lock lost';

export function isLockLost(reason: unknown): boolean {
  return reason === LOCK_LOST_REASON;
}
