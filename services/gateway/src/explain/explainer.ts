// Explained predictions on a path of their own: one inference thread at the lowest CPU priority,
// started on the first explained request, that follows the production model through every hot
// reload. Plain predictions never wait behind it, and it takes at most `maxPending` requests at a
// time: one more is refused at once (the caller retries) instead of queueing without bound.
import { NUM_CLASSES, PIXELS_PER_IMAGE, type Logger } from '@visionops/core';
import type { BackendPreference } from '@visionops/core/engine';
import type { SaliencyOptions } from '@visionops/core/model';
import {
  ModelNotReadyError,
  type InferencePool,
  type LoadedModel,
  type Prediction,
} from '../inference/inference-pool.js';
import { InferenceThread, type ThreadStats } from '../inference/inference-thread.js';

export interface ExplainerOptions {
  backend: BackendPreference;
  /** The production pool: its model is the one explained. */
  production: Pick<InferencePool, 'servedModel' | 'modelVersion' | 'onSwap'>;
  /** Requests running or waiting on the thread; more are refused with ExplainerBusyError. */
  maxPending: number;
  /** The saliency method, its gradient evaluations per image, SmoothGrad's noise. */
  saliency: SaliencyOptions;
  logger: Logger;
  /** Told how long the thread spent on each request (for metrics). */
  onDone?: (busyMs: number, images: number) => void;
}

/** The explain thread already has as many requests as it may: retry shortly. */
export class ExplainerBusyError extends Error {
  constructor(readonly maxPending: number) {
    super(`the explanation thread is busy with ${maxPending} requests`);
    this.name = 'ExplainerBusyError';
  }
}

export interface ExplainedPrediction extends Prediction {
  /** One 32x32 map per image (row-major, not rescaled), for its most probable class. */
  saliency: Float32Array[];
}

export class Explainer {
  private thread: InferenceThread | undefined;
  private starting: Promise<InferenceThread> | undefined;
  /** The version the thread serves, once it serves one. */
  private threadVersion: string | undefined;
  private following: Promise<unknown> = Promise.resolve();
  /** Explained requests running or waiting on the thread. */
  pending = 0;
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: ExplainerOptions) {
    // Once started, the thread loads each new production model in the background, so the first
    // explained request after a swap does not pay for the load.
    options.production.onSwap((model) => {
      if (this.thread) void this.follow(this.thread, model).catch(() => undefined);
    });
  }

  /** The production version: what an explained request is answered by. */
  get modelVersion(): string | undefined {
    return this.options.production.modelVersion;
  }

  /** Whether the thread runs (it starts on the first explained request). */
  get started(): boolean {
    return this.thread !== undefined;
  }

  /** The thread's tensor count and served version (leak checks), once it runs. */
  threadStats(): Promise<ThreadStats> | undefined {
    return this.thread?.stats();
  }

  /** The saliency method explanations use (EXPLAIN_METHOD). */
  get method(): SaliencyOptions['method'] {
    return this.options.saliency.method;
  }

  /** Class probabilities and saliency maps of decoded 32x32 RGB images, from one model version. */
  async predict(images: readonly Uint8Array[]): Promise<ExplainedPrediction> {
    if (this.closed) throw new Error('the explainer is closed');
    if (!this.options.production.servedModel) throw new ModelNotReadyError();
    if (this.pending >= this.options.maxPending) throw new ExplainerBusyError(this.options.maxPending);
    this.pending++;
    try {
      const thread = await this.startThread();
      const model = this.options.production.servedModel;
      if (!model) throw new ModelNotReadyError();
      await this.follow(thread, model);
      const pixels = new Uint8Array(images.length * PIXELS_PER_IMAGE);
      images.forEach((image, i) => pixels.set(image, i * PIXELS_PER_IMAGE));
      const result = await thread.explain(++this.nextId, images.length, pixels, this.options.saliency);
      this.options.onDone?.(result.busyMs, images.length);
      return {
        version: result.version,
        probabilities: images.map((_, i) =>
          result.probabilities.slice(i * NUM_CLASSES, (i + 1) * NUM_CLASSES),
        ),
        saliency: result.saliency,
      };
    } finally {
      this.pending--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread ?? (await this.starting?.catch(() => undefined));
    this.thread = undefined;
    await thread?.terminate();
  }

  private startThread(): Promise<InferenceThread> {
    if (this.thread) return Promise.resolve(this.thread);
    this.starting ??= (async () => {
      const thread = new InferenceThread(this.options.backend, true);
      thread.onExit((error) => {
        this.options.logger.error({ err: error }, 'explanation thread died; the next request starts another');
        this.thread = undefined;
        this.threadVersion = undefined;
      });
      try {
        const backend = await thread.ready;
        this.options.logger.info({ backend }, 'explanation thread ready');
        this.thread = thread;
        return thread;
      } catch (error) {
        await thread.terminate();
        throw error;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  /** Loads `model` on the thread unless it serves it already; loads run one at a time. */
  private follow(thread: InferenceThread, model: LoadedModel): Promise<void> {
    const load = this.following.then(async () => {
      if (this.threadVersion === model.version || thread !== this.thread) return;
      // A thread that fails to prepare has disposed of what it loaded and keeps its model.
      const loadId = ++this.nextId;
      await thread.prepare(loadId, model.version, model.files, model.normalisation);
      await thread.commit(loadId);
      this.threadVersion = model.version;
      this.options.logger.info({ version: model.version }, 'explanation thread on the production model');
    });
    this.following = load.catch(() => undefined);
    return load;
  }
}
