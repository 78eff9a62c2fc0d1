// Inference off the event loop: worker threads, each with its own TensorFlow.js engine, fed by a
// dynamic batcher. Concurrent requests are packed into one batch (up to batchMaxSize images) while
// they wait for a free thread, so under load batches grow and throughput follows.
import { NUM_CLASSES, PIXELS_PER_IMAGE, type Logger, type Normalisation } from '@visionops/core';
import type { BackendChoice, BackendName, BackendPreference, BackendSkip } from '@visionops/core/engine';
import type { ModelFiles } from '@visionops/core/model';
import { InferenceThread, type ThreadStats } from './inference-thread.js';

export interface InferencePoolOptions {
  threads: number;
  backend: BackendPreference;
  /** Threads at the lowest CPU priority, so their work never slows the answering path (shadow). */
  lowPriority?: boolean;
  batchMaxSize: number;
  /** How long the first request of a batch may wait for company while a thread is free. */
  batchMaxWaitMs: number;
  logger: Logger;
  /** Told the size of every batch sent to a thread (for metrics). */
  onBatch?: (size: number) => void;
  /** Told how long a thread spent on each batch it answered (for metrics). */
  onBatchDone?: (busyMs: number) => void;
}

/** No model is loaded yet (the registry is empty or unreachable): the caller should retry later. */
export class ModelNotReadyError extends Error {
  constructor() {
    super('no model is loaded yet');
    this.name = 'ModelNotReadyError';
  }
}

export interface Prediction {
  version: string;
  /** One array of class probabilities (LABELS order) per image, in request order. */
  probabilities: Float32Array[];
}

interface PendingRequest {
  /** Decoded images, copied once, straight into the batch sent to a thread. */
  images: readonly Uint8Array[];
  count: number;
  enqueuedAt: number;
  resolve(prediction: Prediction): void;
  reject(error: Error): void;
}

export interface LoadedModel {
  version: string;
  files: ModelFiles;
  normalisation: Normalisation;
}

export class InferencePool {
  backend: BackendName | undefined;
  /** Engines passed over at start-up, and why. */
  backendSkipped: BackendSkip[] = [];
  private threads: InferenceThread[] = [];
  private current: LoadedModel | undefined;
  private readonly queue: PendingRequest[] = [];
  private queuedImages = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextBatchId = 0;
  private nextLoadId = 0;
  private loading: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly swapListeners: ((model: LoadedModel) => void)[] = [];

  constructor(private readonly options: InferencePoolOptions) {}

  /** Starts the threads and waits until each has its engine ready; returns the engine choice. */
  async start(): Promise<BackendChoice> {
    this.threads = Array.from({ length: this.options.threads }, () => this.spawn());
    const choices = await Promise.all(this.threads.map((thread) => thread.ready));
    this.backend = choices[0]!.name;
    this.backendSkipped = choices[0]!.skipped;
    return choices[0]!;
  }

  /** The model every thread serves (its files and normalisation), once one has been loaded. */
  get servedModel(): LoadedModel | undefined {
    return this.current;
  }

  /** Told of every model swapped in, after the threads serve it (explanations follow it). */
  onSwap(listener: (model: LoadedModel) => void): void {
    this.swapListeners.push(listener);
  }

  /** The version every thread serves, once one has been loaded. */
  get modelVersion(): string | undefined {
    return this.current?.version;
  }

  /**
   * Loads a model on every thread, warms it up, then swaps it in between batches; the old model
   * is disposed after its last batch. If any thread fails, all keep the old model and this throws.
   * Loads run one at a time.
   */
  loadModel(version: string, files: ModelFiles, normalisation: Normalisation): Promise<void> {
    const next = this.loading.then(() => this.swap({ version, files, normalisation }));
    this.loading = next.catch(() => undefined);
    return next;
  }

  /** Class probabilities for decoded 32x32 RGB images, all from the same model version. */
  predict(images: readonly Uint8Array[]): Promise<Prediction> {
    if (this.closed) return Promise.reject(new Error('the inference pool is closed'));
    if (!this.current) return Promise.reject(new ModelNotReadyError());
    if (images.some((image) => image.length !== PIXELS_PER_IMAGE)) {
      return Promise.reject(new Error(`each image must be ${PIXELS_PER_IMAGE} bytes of 32x32 RGB`));
    }
    return new Promise<Prediction>((resolve, reject) => {
      this.queue.push({ images, count: images.length, enqueuedAt: performance.now(), resolve, reject });
      this.queuedImages += images.length;
      this.schedule();
    });
  }

  /**
   * No request waits for a thread and no thread runs a batch. True already when the last batch's
   * callers resume: its thread is counted free before they are told.
   */
  get idle(): boolean {
    return this.queue.length === 0 && this.threads.every((thread) => thread.inFlight === 0);
  }

  /** Tensor count and served version of every thread (leak checks, diagnostics). */
  workerStats(): Promise<ThreadStats[]> {
    return Promise.all(this.threads.map((thread) => thread.stats()));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const request of this.queue.splice(0)) request.reject(new Error('the inference pool is closed'));
    await Promise.all(this.threads.map((thread) => thread.terminate()));
    this.threads = [];
  }

  private spawn(): InferenceThread {
    const thread = new InferenceThread(this.options.backend, this.options.lowPriority);
    thread.onExit((error) => void this.replace(thread, error));
    return thread;
  }

  /** A thread died: start another in its place and give it the model in service. */
  private async replace(dead: InferenceThread, error: Error): Promise<void> {
    if (this.closed) return;
    this.options.logger.error({ err: error }, 'inference worker died; starting a new one');
    const thread = this.spawn();
    this.threads = this.threads.map((each) => (each === dead ? thread : each));
    try {
      await thread.ready;
      const model = this.current;
      if (model) {
        const loadId = ++this.nextLoadId;
        await thread.prepare(loadId, model.version, model.files, model.normalisation);
        await thread.commit(loadId);
      }
    } catch (failure) {
      this.options.logger.error({ err: failure }, 'replacement inference worker failed to start');
    }
    this.schedule();
  }

  private async swap(model: LoadedModel): Promise<void> {
    const loadId = ++this.nextLoadId;
    const threads = this.threads;
    // allSettled, not all: an abort must reach a thread only after its prepare has finished.
    const prepared = await Promise.allSettled(
      threads.map((thread) => thread.prepare(loadId, model.version, model.files, model.normalisation)),
    );
    const failure = prepared.find((outcome) => outcome.status === 'rejected');
    if (failure) {
      for (const thread of threads) thread.abort(loadId);
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    }
    await Promise.all(threads.map((thread) => thread.commit(loadId)));
    this.current = model;
    for (const listener of this.swapListeners) listener(model);
  }

  private readyThread(): InferenceThread | undefined {
    const idle = this.threads.find((thread) => thread.alive && thread.inFlight === 0);
    if (idle) return idle;
    // Requests wait here, where they can still join a batch, while every thread is busy. A thread
    // takes its next batch ahead only once as many images wait as it is running: that batch is no
    // smaller, and the thread starts it as soon as it is done instead of waiting for the event loop
    // (busy with HTTP under load) to hear of the result and send more.
    return this.threads.find(
      (thread) => thread.alive && thread.inFlight === 1 && this.queuedImages >= thread.inFlightImages,
    );
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && !this.closed) {
      const thread = this.readyThread();
      if (!thread) return; // the next finished batch schedules again
      const waited = performance.now() - this.queue[0]!.enqueuedAt;
      const idle = thread.inFlight === 0;
      if (idle && this.queuedImages < this.options.batchMaxSize && waited < this.options.batchMaxWaitMs) {
        this.timer = setTimeout(() => this.schedule(), this.options.batchMaxWaitMs - waited);
        return;
      }
      this.dispatch(thread);
    }
  }

  private dispatch(thread: InferenceThread): void {
    // A request's images stay together, so they share one model version; one request larger
    // than the batch limit goes alone.
    const batch: PendingRequest[] = [this.queue.shift()!];
    let count = batch[0]!.count;
    while (this.queue.length > 0 && count + this.queue[0]!.count <= this.options.batchMaxSize) {
      const request = this.queue.shift()!;
      batch.push(request);
      count += request.count;
    }
    this.queuedImages -= count;
    const pixels = new Uint8Array(count * PIXELS_PER_IMAGE);
    let offset = 0;
    for (const request of batch) {
      for (const image of request.images) {
        pixels.set(image, offset);
        offset += PIXELS_PER_IMAGE;
      }
    }
    this.options.onBatch?.(count);
    thread.inFlight++;
    thread.inFlightImages += count;
    // The thread is free (and given its next batch) before the callers hear of this one, so what
    // they do next sees the pool as it is: `idle` when nothing else waits or runs.
    const done = () => {
      thread.inFlight--;
      thread.inFlightImages -= count;
      this.schedule();
    };
    thread.predict(++this.nextBatchId, count, pixels).then(
      ({ version, probabilities, busyMs }) => {
        done();
        this.options.onBatchDone?.(busyMs);
        let image = 0;
        for (const request of batch) {
          const results = Array.from({ length: request.count }, (_, i) =>
            probabilities.slice((image + i) * NUM_CLASSES, (image + i + 1) * NUM_CLASSES),
          );
          image += request.count;
          request.resolve({ version, probabilities: results });
        }
      },
      (error: Error) => {
        done();
        for (const request of batch) request.reject(error);
      },
    );
  }
}
