// What GET /jobs and /jobs/:id show of a BullMQ job: its state in the API's words (queued, active,
// completed, failed, cancelled), progress, result and timestamps.
import type { Job, JobState } from 'bullmq';
import {
  CANCELLED_REASON,
  type RetrainJobData,
  type RetrainProgress,
  type RetrainPromoteMode,
  type RetrainResult,
} from '@visionops/core/jobs';

export type ApiJobState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  state: ApiJobState;
  /** A cancel was asked for and the trainer has not stopped yet. */
  cancelRequested: boolean;
  epochs: number;
  /** How a version that passes the gate reaches production (a direct promotion, or a rollout). */
  promote: RetrainPromoteMode;
  upload: { sha256: string; bytes: number; fileName: string | null };
  progress: RetrainProgress | null;
  result: RetrainResult | null;
  failedReason: string | null;
  attempts: { made: number; max: number };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  statusUrl: string;
}

export function statusUrlOf(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

export function apiState(
  state: JobState | 'unknown',
  failedReason: string | undefined,
): ApiJobState | undefined {
  switch (state) {
    case 'waiting':
    case 'waiting-children':
    case 'delayed':
    case 'prioritized':
      return 'queued';
    case 'active':
      return 'active';
    case 'completed':
      return 'completed';
    case 'failed':
      return failedReason?.startsWith(CANCELLED_REASON) ? 'cancelled' : 'failed';
    default:
      return undefined;
  }
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

export function jobView(
  job: Job<RetrainJobData, RetrainResult>,
  state: ApiJobState,
  cancelRequested: boolean,
): JobView {
  const progress = typeof job.progress === 'object' ? (job.progress as unknown as RetrainProgress) : null;
  return {
    id: job.id!,
    state,
    cancelRequested: cancelRequested && (state === 'active' || state === 'queued'),
    epochs: job.data.epochs,
    promote: job.data.promote ?? 'gate',
    upload: {
      sha256: job.data.uploadSha256,
      bytes: job.data.uploadBytes,
      fileName: job.data.fileName ?? null,
    },
    progress,
    result: state === 'completed' ? (job.returnvalue ?? null) : null,
    failedReason: job.failedReason || null,
    attempts: { made: job.attemptsMade, max: job.opts.attempts ?? 1 },
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    statusUrl: statusUrlOf(job.id!),
  };
}
