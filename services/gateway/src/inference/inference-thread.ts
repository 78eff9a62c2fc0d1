// One inference worker thread seen from the gateway: typed requests and their replies, the batches
// in flight (for least-busy dispatch), and every waiting caller rejected if the thread dies.
import type { Worker } from 'node:worker_threads';
import { startWorker, type Normalisation } from '@visionops/core';
import type { BackendChoice, BackendPreference } from '@visionops/core/engine';
import type { ModelFiles, SaliencyOptions } from '@visionops/core/model';
import type { FromInferenceWorker, InferenceWorkerData, ToInferenceWorker } from './inference-protocol.js';

export interface BatchResult {
  version: string;
  probabilities: Float32Array;
  /** Time the thread spent on the batch (normalising and running the model). */
  busyMs: number;
}

export interface ExplainedBatchResult extends BatchResult {
  /** One 32x32 saliency map per image, for its most probable class. */
  saliency: Float32Array[];
}

export interface ThreadStats {
  numTensors: number;
  version: string | null;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const workerModule = new URL('./inference-worker.js', import.meta.url);

export class InferenceThread {
  /** The engine the thread runs on and why others were skipped, once it is ready. */
  readonly ready: Promise<BackendChoice>;
  /** Batches sent and not yet answered, and the images in them. */
  inFlight = 0;
  inFlightImages = 0;
  alive = true;
  private readonly worker: Worker;
  private readonly waiters = new Map<string, Waiter>();
  private nextStatsId = 0;
  private exitListener: ((error: Error) => void) | undefined;

  constructor(backend: BackendPreference, lowPriority = false) {
    this.worker = startWorker(workerModule, {
      workerData: { backend, lowPriority } satisfies InferenceWorkerData,
    });
    this.ready = new Promise<BackendChoice>((resolve, reject) => {
      this.waiters.set('ready', { resolve: resolve, reject });
    });
    this.worker.on('message', (message: FromInferenceWorker) => this.receive(message));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`inference worker exited with code ${code}`)));
  }

  /** Called once when the thread dies unexpectedly (not after terminate()). */
  onExit(listener: (error: Error) => void): void {
    this.exitListener = listener;
  }

  prepare(loadId: number, version: string, files: ModelFiles, normalisation: Normalisation): Promise<void> {
    return this.request(`load:${loadId}`, {
      type: 'prepare',
      loadId,
      version,
      modelJson: files.modelJson,
      weightsBin: files.weightsBin,
      normalisation,
    }) as Promise<void>;
  }

  commit(loadId: number): Promise<void> {
    return this.request(`load:${loadId}`, { type: 'commit', loadId }) as Promise<void>;
  }

  abort(loadId: number): void {
    if (this.alive) this.worker.postMessage({ type: 'abort', loadId } satisfies ToInferenceWorker);
  }

  predict(batchId: number, count: number, pixels: Uint8Array): Promise<BatchResult> {
    return this.request(`batch:${batchId}`, { type: 'predict', batchId, count, pixels }, [
      pixels.buffer as ArrayBuffer,
    ]) as Promise<BatchResult>;
  }

  explain(
    batchId: number,
    count: number,
    pixels: Uint8Array,
    options: SaliencyOptions,
  ): Promise<ExplainedBatchResult> {
    return this.request(`batch:${batchId}`, { type: 'explain', batchId, count, pixels, options }, [
      pixels.buffer as ArrayBuffer,
    ]) as Promise<ExplainedBatchResult>;
  }

  stats(): Promise<ThreadStats> {
    const statsId = ++this.nextStatsId;
    return this.request(`stats:${statsId}`, { type: 'stats', statsId }) as Promise<ThreadStats>;
  }

  async terminate(): Promise<void> {
    this.exitListener = undefined;
    await this.worker.terminate();
  }

  private request(key: string, message: ToInferenceWorker, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (!this.alive) return Promise.reject(new Error('inference worker is not running'));
    return new Promise((resolve, reject) => {
      this.waiters.set(key, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  private settle(key: string, outcome: { value: unknown } | { error: Error }): void {
    const waiter = this.waiters.get(key);
    if (!waiter) return;
    this.waiters.delete(key);
    if ('error' in outcome) waiter.reject(outcome.error);
    else waiter.resolve(outcome.value);
  }

  private receive(message: FromInferenceWorker): void {
    switch (message.type) {
      case 'ready':
        return this.settle('ready', { value: { name: message.backend, skipped: message.skipped } });
      case 'init-failed':
        return this.settle('ready', { error: new Error(message.message) });
      case 'prepared':
      case 'committed':
        return this.settle(`load:${message.loadId}`, { value: undefined });
      case 'prepare-failed':
        return this.settle(`load:${message.loadId}`, { error: new Error(message.message) });
      case 'result':
        return this.settle(`batch:${message.batchId}`, {
          value: {
            version: message.version,
            probabilities: message.probabilities,
            busyMs: message.busyMs,
            saliency: message.saliency,
          },
        });
      case 'predict-failed':
        return this.settle(`batch:${message.batchId}`, { error: new Error(message.message) });
      case 'stats':
        return this.settle(`stats:${message.statsId}`, {
          value: { numTensors: message.numTensors, version: message.version },
        });
    }
  }

  private fail(error: Error): void {
    if (!this.alive) return;
    this.alive = false;
    for (const key of [...this.waiters.keys()]) this.settle(key, { error });
    this.exitListener?.(error);
  }
}
