// The retrain use-cases behind the HTTP routes: accept an upload (check, store, enqueue), read
// jobs, and cancel one. Routes stay thin; this is where the queue and the cancel signal live.
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobName, QUEUE_RETRAIN, type Config } from '@visionops/core';
import {
  importJobDataSchema,
  importJobId,
  inspectRetrainUpload,
  KERAS_UPLOAD_EXTENSION,
  JobCancellation,
  retrainJobDataSchema,
  retrainJobId,
  type ImportJobData,
  type JobOf,
  type JobResult,
  type KerasFormat,
  type RetrainJobData,
  type UploadSummary,
} from '@visionops/core/jobs';
import { UploadStore, zipLimits, type ObjectStore } from '@visionops/core/registry';
import type { JobView } from '@visionops/core/contract';
import { apiState, jobView } from './job-view.js';
import type { UploadedZip } from './retrain-upload.js';

export type RetrainJobsConfig = Pick<
  Config,
  'QUEUE_PREFIX' | 'RETRAIN_BACKOFF_MS' | 'RETRAIN_MAX_ZIP_ENTRIES' | 'RETRAIN_MAX_UNPACKED_BYTES'
>;

/** Transient faults get three attempts in all, the delay doubling from RETRAIN_BACKOFF_MS. */
const ATTEMPTS = 3;
/** Finished jobs kept for GET /jobs; older ones are dropped by BullMQ. */
const KEEP_FINISHED = 500;

type RetrainQueueJob = Job<JobOf<JobName>, JobResult>;

export interface Submitted {
  jobId: string;
  /** True when the same upload's job was still queued or running and is returned instead. */
  existing: boolean;
  upload: UploadSummary;
}

export interface ImportOptions {
  format: KerasFormat;
  preprocessing: ImportJobData['preprocessing'];
  promote: ImportJobData['promote'];
}

/** What a cancel did: removed a queued job, signalled a running one, or found it finished. */
export type CancelOutcome =
  | { outcome: 'removed'; job: JobView }
  | { outcome: 'signalled'; job: JobView }
  | { outcome: 'finished'; job: JobView }
  | { outcome: 'not_found' };

export class RetrainJobs {
  readonly queue: Queue<JobOf<JobName>, JobResult>;
  private readonly cancellation: JobCancellation;
  private readonly uploads: UploadStore;

  constructor(
    private readonly config: RetrainJobsConfig,
    redis: Redis,
    store: ObjectStore,
  ) {
    this.uploads = new UploadStore(store);
    this.cancellation = new JobCancellation(redis, config.QUEUE_PREFIX, KEEP_FINISHED);
    // The gateway's own connection, shared: a Queue needs no blocking connection, and a shared one
    // is left open by queue.close().
    this.queue = new Queue(QUEUE_RETRAIN, {
      connection: redis,
      prefix: config.QUEUE_PREFIX,
    });
  }

  /** Checks the ZIP (throws RetrainUploadError), stores it by content, and enqueues its job. */
  async submit(
    zip: UploadedZip,
    epochs: number,
    requestId: string,
    ending: Pick<RetrainJobData, 'promote' | 'rolloutPercent'> = {},
  ): Promise<Submitted> {
    const upload = await inspectRetrainUpload(zip.path, zipLimits(this.config));
    const { key } = await this.uploads.storeFile(zip, 'zip');

    const data = retrainJobDataSchema.parse({
      uploadKey: key,
      uploadSha256: zip.sha256,
      uploadBytes: zip.size,
      fileName: zip.originalname.slice(0, 255),
      epochs,
      requestedAt: new Date().toISOString(),
      requestId,
      // How the version reaches production; only a non-default choice is stored.
      ...(ending.promote && ending.promote !== 'gate' && { promote: ending.promote }),
      ...(ending.rolloutPercent !== undefined && { rolloutPercent: ending.rolloutPercent }),
    } satisfies RetrainJobData);
    const enqueued = await this.enqueue(JobName.Retrain, retrainJobId(zip.sha256, epochs), data);
    return { ...enqueued, upload };
  }

  /** Stores a Keras model file by content (its format checked by the caller) and enqueues its import. */
  async submitImport(
    file: UploadedZip,
    options: ImportOptions,
    requestId: string,
  ): Promise<Omit<Submitted, 'upload'>> {
    const { key } = await this.uploads.storeFile(file, KERAS_UPLOAD_EXTENSION[options.format]);
    const data = importJobDataSchema.parse({
      uploadKey: key,
      uploadSha256: file.sha256,
      uploadBytes: file.size,
      fileName: file.originalname.slice(0, 255),
      ...options,
      requestedAt: new Date().toISOString(),
      requestId,
    } satisfies ImportJobData);
    return this.enqueue(JobName.Import, importJobId(data), data);
  }

  /**
   * Adds a job under a deterministic id: while the same id is queued or running, that job answers;
   * a finished one makes way (its outcome lives on in the model card).
   */
  private async enqueue<Name extends JobName>(
    name: Name,
    jobId: string,
    data: JobOf<Name>,
  ): Promise<{ jobId: string; existing: boolean }> {
    const previous = await this.queue.getJob(jobId);
    if (previous) {
      const state = apiState(await previous.getState(), previous.failedReason);
      if (state === 'queued' || state === 'active') return { jobId, existing: true };
      await previous.remove();
    }
    // An old cancel of this id must not cancel the new job.
    await this.cancellation.forget(jobId);
    const job = await this.queue.add(name, data, {
      jobId,
      attempts: ATTEMPTS,
      backoff: { type: 'exponential', delay: this.config.RETRAIN_BACKOFF_MS },
      removeOnComplete: { count: KEEP_FINISHED },
      removeOnFail: { count: KEEP_FINISHED },
    });
    // Two identical uploads at once: BullMQ keeps the first job of an id, and both answer with it.
    return { jobId: job.id ?? jobId, existing: false };
  }

  async get(jobId: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(jobId);
    if (job) return this.view(job);
    return this.cancellation.removedView(jobId);
  }

  /** The most recent jobs, newest first. */
  async list(limit: number): Promise<JobView[]> {
    const jobs = await this.queue.getJobs(
      ['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'],
      0,
      limit - 1,
      false,
    );
    const newest = jobs
      .filter((job) => job !== undefined)
      .sort((a, b) => b.timestamp - a.timestamp)
      .slice(0, limit);
    const views = (await Promise.all(newest.map((job) => this.view(job)))).filter(
      (view): view is JobView => view !== undefined,
    );
    const listed = new Set(views.map((view) => view.id));
    const removed = (await this.cancellation.removedViews(limit)).filter((view) => !listed.has(view.id));
    return [...views, ...removed]
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .slice(0, limit);
  }

  async cancel(jobId: string): Promise<CancelOutcome> {
    const job = await this.queue.getJob(jobId);
    if (!job) {
      const removed = await this.cancellation.removedView(jobId);
      return removed ? { outcome: 'removed', job: removed } : { outcome: 'not_found' };
    }
    const before = await this.view(job);
    if (!before) return { outcome: 'not_found' };
    if (before.state !== 'queued' && before.state !== 'active') return { outcome: 'finished', job: before };
    if (before.state === 'queued') {
      try {
        // remove() refuses a job a trainer has just locked; then it is cancelled as a running one.
        await job.remove();
        const removed: JobView = {
          ...before,
          state: 'cancelled',
          cancelRequested: false,
          finishedAt: new Date().toISOString(),
        };
        await this.cancellation.recordRemoved(removed);
        return { outcome: 'removed', job: removed };
      } catch {
        // remove() throws when a trainer locked the job in the meantime: cancel it as a running one
        // (a Redis fault would fail the calls below just the same, and propagate from there).
      }
    }
    // The request's key covers a trainer that misses the message or picks the job up later.
    await this.cancellation.request(jobId);
    return { outcome: 'signalled', job: { ...before, cancelRequested: true } };
  }

  /** Jobs waiting plus running: the queue depth reported on /metrics. */
  async depth(): Promise<{ waiting: number; active: number }> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0),
      active: counts.active ?? 0,
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  /**
   * The job as the API shows it. The job's fields and its state are two reads: a job read while it
   * ran can be found finished a moment later, and would then show that attempt's count and no
   * reason. A finished state is final, so such a job is read again (state and fields) until they
   * match; if the id was removed meanwhile (a cancel, or a new upload making way), the view is what
   * the id holds now.
   */
  async view(job: RetrainQueueJob): Promise<JobView | undefined> {
    let current = job;
    for (let reads = 1; ; reads++) {
      const bullState = await current.getState();
      const finished = bullState === 'completed' || bullState === 'failed';
      if (!finished || current.finishedOn !== undefined || reads === 3) {
        const state = apiState(bullState, current.failedReason);
        if (!state) return undefined;
        return jobView(current, state, await this.cancellation.isRequested(current.id!));
      }
      const fresh = await this.queue.getJob(current.id!);
      if (!fresh) return this.cancellation.removedView(current.id!);
      current = fresh;
    }
  }
}
