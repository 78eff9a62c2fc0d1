// Cancelling a job, for both sides of the queue. A cancel request is a Redis key (it outlives a
// message a trainer missed while reconnecting) plus a message on a channel (so a running job stops
// at once). A queued job that a cancel removed from the queue leaves its last view under a key of
// its own, indexed by time, so GET /jobs still shows it as cancelled.
import type { Redis } from 'ioredis';
import { jobViewSchema, type JobView } from '../contract/jobs.js';
import { QUEUE_RETRAIN } from '../names.js';

/** How long a cancel request and a removed job's view are kept: longer than any job waits and runs. */
export const CANCELLATION_TTL_SECONDS = 7 * 24 * 3600;

/** Keys live under the queue's own prefix, so a test's fresh prefix isolates them too. */
export const CancellationKeys = {
  channel: (prefix: string) => `${prefix}:${QUEUE_RETRAIN}:cancel`,
  request: (prefix: string, jobId: string) => `${prefix}:${QUEUE_RETRAIN}:cancel:${jobId}`,
  removedView: (prefix: string, jobId: string) => `${prefix}:${QUEUE_RETRAIN}:removed:${jobId}`,
  /** Ids of queued jobs a cancel removed, scored by when. */
  removedIndex: (prefix: string) => `${prefix}:${QUEUE_RETRAIN}:cancelled-removed`,
} as const;

/** The job id in a cancel message, or undefined for a malformed one (never throws). */
export function cancelledJobId(message: string): string | undefined {
  try {
    const jobId = (JSON.parse(message) as { jobId?: unknown }).jobId;
    return typeof jobId === 'string' ? jobId : undefined;
  } catch {
    return undefined;
  }
}

function parsedView(stored: string | null): JobView | undefined {
  if (!stored) return undefined;
  const parsed = jobViewSchema.safeParse(JSON.parse(stored));
  return parsed.success ? parsed.data : undefined;
}

export class JobCancellation {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Removed jobs' views kept at most (as many as the queue keeps finished jobs). */
    private readonly keepRemoved = 500,
  ) {}

  get channel(): string {
    return CancellationKeys.channel(this.prefix);
  }

  /** Asks the trainer running (or about to run) `jobId` to stop. */
  async request(jobId: string): Promise<void> {
    await this.redis.set(
      CancellationKeys.request(this.prefix, jobId),
      JSON.stringify({ requestedAt: new Date().toISOString() }),
      'EX',
      CANCELLATION_TTL_SECONDS,
    );
    await this.redis.publish(this.channel, JSON.stringify({ jobId }));
  }

  async isRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(CancellationKeys.request(this.prefix, jobId))) === 1;
  }

  /** Keeps the last view of a queued job that a cancel removed from the queue. */
  async recordRemoved(view: JobView): Promise<void> {
    const index = CancellationKeys.removedIndex(this.prefix);
    const now = Date.now();
    await this.redis
      .multi()
      .set(
        CancellationKeys.removedView(this.prefix, view.id),
        JSON.stringify(view),
        'EX',
        CANCELLATION_TTL_SECONDS,
      )
      .zadd(index, now, view.id)
      // The index forgets what the views forget, and keeps no more than the queue keeps.
      .zremrangebyscore(index, '-inf', now - CANCELLATION_TTL_SECONDS * 1000)
      .zremrangebyrank(index, 0, -this.keepRemoved - 1)
      .exec();
  }

  async removedView(jobId: string): Promise<JobView | undefined> {
    return parsedView(await this.redis.get(CancellationKeys.removedView(this.prefix, jobId)));
  }

  /** The most recently removed jobs whose views are still kept, newest first. */
  async removedViews(limit: number): Promise<JobView[]> {
    const ids = await this.redis.zrevrange(CancellationKeys.removedIndex(this.prefix), 0, limit - 1);
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map((id) => CancellationKeys.removedView(this.prefix, id)));
    return stored.map(parsedView).filter((view): view is JobView => view !== undefined);
  }

  /** Forgets every cancel of `jobId`, so a new job under the same id starts clean. */
  async forget(jobId: string): Promise<void> {
    await this.redis
      .multi()
      .del(CancellationKeys.request(this.prefix, jobId), CancellationKeys.removedView(this.prefix, jobId))
      .zrem(CancellationKeys.removedIndex(this.prefix), jobId)
      .exec();
  }
}
