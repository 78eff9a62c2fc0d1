// A worker thread running one training replica, with a promise per request (one at a time).
import type { Worker } from 'node:worker_threads';
import { startWorker } from '@visionops/core';
import { nativeThreads } from '@visionops/core/engine';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

export class ReplicaThread {
  private readonly worker: Worker;
  private pending: { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  /** `replicas` threads share the cores: each one's native kernels get its share of them. */
  constructor(
    readonly index: number,
    replicas = 1,
  ) {
    const share = Math.max(1, Math.floor(nativeThreads() / replicas));
    this.worker = startWorker(new URL('./training-worker.js', import.meta.url), {
      env: { ...process.env, ML_NATIVE_THREADS: String(share) },
    });
    this.worker.on('message', (response: WorkerResponse) => {
      const waiting = this.pending;
      this.pending = undefined;
      if (!waiting) return;
      if (response.type === 'error') {
        const error = new Error(`training thread ${index}: ${response.message}`);
        if (response.stack) error.stack = response.stack;
        waiting.reject(error);
      } else {
        waiting.resolve(response);
      }
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`training thread ${index} exited with code ${code}`)));
  }

  request<T extends WorkerResponse['type']>(
    message: WorkerRequest,
    expected: T,
  ): Promise<Extract<WorkerResponse, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error(`training thread ${this.index} is busy`));
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve: (response) => {
          if (response.type === expected) resolve(response as Extract<WorkerResponse, { type: T }>);
          else
            reject(
              new Error(`training thread ${this.index} answered ${response.type}, expected ${expected}`),
            );
        },
        reject,
      };
      this.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('closed');
    await this.worker.terminate();
  }
}
