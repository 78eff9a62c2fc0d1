// Redis names and job ids of the retrain pipeline that are not BullMQ's own: the cancel signal
// (a key that outlives a missed message, plus a channel for speed) and deterministic job ids.
import { QUEUE_RETRAIN } from '../names.js';

/** Same upload and epochs give the same job id, so a repeated upload finds its job. */
export function retrainJobId(uploadSha256: string, epochs: number): string {
  // BullMQ refuses ':' in custom ids and integer-looking ids; a hex prefix and a suffix are neither.
  return `${uploadSha256.slice(0, 32)}-e${epochs}`;
}

/** Keys live under the queue's own prefix, so a test's fresh prefix isolates them too. */
export const RetrainRedisKeys = {
  cancelChannel: (prefix: string) => `${prefix}:${QUEUE_RETRAIN}:cancel`,
  cancelKey: (prefix: string, jobId: string) => `${prefix}:${QUEUE_RETRAIN}:cancel:${jobId}`,
  /** Ids of queued jobs removed by a cancel (scored by when), so GET /jobs still lists them. */
  removedIndex: (prefix: string) => `${prefix}:${QUEUE_RETRAIN}:cancelled-removed`,
} as const;

/** How long a cancel request is remembered: longer than any job can wait and run. */
export const CANCEL_KEY_TTL_SECONDS = 7 * 24 * 3600;
