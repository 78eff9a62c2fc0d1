// The data-parallel replicas as one: every thread holds the same model; a step hands each thread
// its slice of the batch and averages the gradients they return; the moving statistics (batch
// norm) are averaged at epoch ends, so the replicas stay identical.
import type { BackendSkip } from '@visionops/core/engine';
import type { WorkerInit, WorkerState } from './protocol.js';
import { ReplicaThread } from './replica-thread.js';

/** The averaged gradients of one step and the learning rate to apply them with. */
export interface Update {
  gradients: Float32Array;
  learningRate: number;
}

export interface StepFigures {
  gradients: Float32Array;
  /** Summed over the batch (not averaged), so steps add up. */
  lossSum: number;
  correct: number;
  count: number;
}

/** Averages the non-trainable weights (batch-norm moving statistics) of every replica. */
export function mergeStates(states: WorkerState[]): WorkerState {
  const [first] = states;
  if (!first) throw new Error('no replica state');
  const weights = first.weights.map((weight, index) => {
    if (first.trainable[index]) return weight;
    const mean = new Float32Array(weight.length);
    for (const state of states) {
      const values = state.weights[index]!;
      for (let j = 0; j < values.length; j++) mean[j] = mean[j]! + values[j]! / states.length;
    }
    return mean;
  });
  return { ...first, weights };
}

export class ReplicaGroup {
  private readonly threads: ReplicaThread[];

  constructor(count: number) {
    const replicas = Math.max(1, count);
    this.threads = Array.from({ length: replicas }, (_, index) => new ReplicaThread(index, replicas));
  }

  get size(): number {
    return this.threads.length;
  }

  /** Starts every replica, then gives them all the first one's weights. */
  async start(
    init: WorkerInit,
  ): Promise<{ backend: string; backendSkipped: BackendSkip[]; parameters: number }> {
    const ready = await Promise.all(
      this.threads.map((thread) => thread.request({ type: 'init', init }, 'ready')),
    );
    const [first, ...others] = this.threads;
    const initial = (await first!.request({ type: 'get-state' }, 'state')).state;
    await Promise.all(
      others.map((thread) => thread.request({ type: 'set-weights', weights: initial.weights }, 'ok')),
    );
    const { backend, backendSkipped, parameters } = ready[0]!;
    return { backend, backendSkipped, parameters };
  }

  /**
   * Applies `previous` (the last step's update) on every replica, then computes gradients on each
   * replica's slice of this batch; returns their average.
   */
  async step(previous: Update | undefined, slices: Int32Array[], seeds: number[]): Promise<StepFigures> {
    const answers = await Promise.all(
      this.threads.map((thread, part) =>
        thread.request({ type: 'step', apply: previous, indices: slices[part]!, seed: seeds[part]! }, 'step'),
      ),
    );
    const results = answers.map(({ result }) => result!);
    const gradients = new Float32Array(results[0]!.gradients.length);
    const figures: StepFigures = { gradients, lossSum: 0, correct: 0, count: 0 };
    for (const result of results) {
      const replicaGradients = result.gradients;
      for (let i = 0; i < replicaGradients.length; i++) {
        gradients[i] = gradients[i]! + replicaGradients[i]! / results.length;
      }
      figures.lossSum += result.loss * result.count;
      figures.correct += result.correct;
      figures.count += result.count;
    }
    return figures;
  }

  /** Applies the last update of an epoch, then makes the moving statistics agree; the merged state. */
  async finishEpoch(last: Update | undefined): Promise<WorkerState> {
    await Promise.all(
      this.threads.map((thread) =>
        thread.request({ type: 'step', apply: last, indices: new Int32Array(0), seed: 0 }, 'step'),
      ),
    );
    const merged = await this.mergedState();
    await Promise.all(
      this.threads.map((thread) => thread.request({ type: 'set-weights', weights: merged.weights }, 'ok')),
    );
    return merged;
  }

  async mergedState(): Promise<WorkerState> {
    const answers = await Promise.all(
      this.threads.map((thread) => thread.request({ type: 'get-state' }, 'state')),
    );
    return mergeStates(answers.map(({ state }) => state));
  }

  /** Accuracy and mean loss on `indices`, split over the replicas. */
  async evaluate(indices: Int32Array): Promise<{ accuracy: number; loss: number }> {
    const size = Math.ceil(indices.length / this.threads.length);
    const answers = await Promise.all(
      this.threads.map((thread, part) =>
        thread.request(
          { type: 'evaluate', indices: indices.subarray(part * size, (part + 1) * size) },
          'evaluate',
        ),
      ),
    );
    const count = answers.reduce((sum, answer) => sum + answer.count, 0);
    return {
      accuracy: answers.reduce((sum, answer) => sum + answer.correct, 0) / count,
      loss: answers.reduce((sum, answer) => sum + answer.loss * answer.count, 0) / count,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}
