// The answering path during a rollout. Shadow: production answers, and a sampled share of requests
// is also scored by the candidate in the background. Canary: a stable share of clients is answered
// by the candidate (production if the candidate fails, the failure counted against it), and a
// sampled share of those answers is also scored by production to measure agreement. Background
// scoring never delays or fails an answer: it starts after the answer is known, and a bounded
// queue drops samples when full. A shadow can also score only while production is idle, so its
// threads never run beside answers on a busy machine; samples taken while it is busy are skipped.
import type { Request } from 'express';
import type { Logger } from '@visionops/core';
import type { RolloutRole } from '@visionops/core/registry';
import { ModelNotReadyError, type InferencePool, type Prediction } from '../inference/inference-pool.js';
import { topClass, type ServingTarget } from '../predict/classify-images.js';
import type { ActiveRollout, RolloutFollower } from './rollout-follower.js';
import type { RolloutStatsRecorder } from './rollout-stats.js';
import { clientKeyOf, servesCandidate } from './traffic-split.js';

export interface RolloutTrafficOptions {
  production: InferencePool;
  follower: RolloutFollower;
  stats: RolloutStatsRecorder;
  /** Images that may wait for background scoring at once; more are dropped (and counted). */
  backgroundQueue: number;
  /**
   * Shadow samples are scored only when production has no request waiting or running once the
   * answer is known; the others are skipped (and counted).
   */
  shadowOnlyWhenIdle: boolean;
  logger: Logger;
  /** Random in [0, 1), replaceable for tests. */
  random?: () => number;
}

const confidences = (prediction: Prediction) => prediction.probabilities.map((p) => p[topClass(p)]!);

export class RolloutTraffic {
  /** Images waiting for or in background scoring. */
  backgroundImages = 0;
  private readonly random: () => number;

  constructor(private readonly options: RolloutTrafficOptions) {
    this.random = options.random ?? Math.random;
  }

  /** What answers this request: production, or under a rollout a target that also records figures. */
  targetFor(req: Request): ServingTarget {
    const { production, follower } = this.options;
    const active = follower.active;
    if (!active) return production;
    const { rollout } = active;
    if (rollout.mode === 'canary' && servesCandidate(clientKeyOf(req), rollout.candidate, rollout.percent)) {
      return { modelVersion: rollout.candidate, predict: (images) => this.answerByCandidate(active, images) };
    }
    return {
      get modelVersion() {
        return production.modelVersion;
      },
      predict: (images) => this.answerByProduction(active, images),
    };
  }

  private async answerByProduction(
    active: ActiveRollout,
    images: readonly Uint8Array[],
  ): Promise<Prediction> {
    const { production, stats } = this.options;
    const { rollout } = active;
    const started = performance.now();
    let prediction: Prediction;
    try {
      prediction = await production.predict(images);
    } catch (error) {
      if (!(error instanceof ModelNotReadyError)) {
        stats.observe(rollout.id, 'production', {
          version: production.modelVersion ?? rollout.baseline,
          images: images.length,
          failed: true,
        });
      }
      throw error;
    }
    stats.observe(rollout.id, 'production', {
      version: prediction.version,
      images: images.length,
      ms: performance.now() - started,
      confidences: confidences(prediction),
    });
    if (rollout.mode === 'shadow' && this.random() * 100 < rollout.percent) {
      // Production busy means more answers are on their way: the candidate's threads, niced as
      // they are, would still share the cores, caches and memory bus with them.
      if (this.options.shadowOnlyWhenIdle && !production.idle) stats.skipped(rollout.id, rollout.candidate);
      else this.scoreInBackground(active, images, prediction, 'candidate');
    }
    return prediction;
  }

  private async answerByCandidate(active: ActiveRollout, images: readonly Uint8Array[]): Promise<Prediction> {
    const { production, stats, logger } = this.options;
    const { rollout } = active;
    const started = performance.now();
    let prediction: Prediction;
    active.inFlight++;
    try {
      prediction = await active.pool.predict(images);
    } catch (error) {
      stats.observe(rollout.id, 'candidate', {
        version: rollout.candidate,
        images: images.length,
        failed: true,
      });
      logger.warn(
        { err: error, candidate: rollout.candidate },
        'canary candidate failed; production answers',
      );
      return production.predict(images);
    } finally {
      active.inFlight--;
    }
    stats.observe(rollout.id, 'candidate', {
      version: rollout.candidate,
      images: images.length,
      ms: performance.now() - started,
      confidences: confidences(prediction),
    });
    if (this.random() * 100 < rollout.mirrorPercent)
      this.scoreInBackground(active, images, prediction, 'production');
    return prediction;
  }

  /**
   * Scores `images` with the version that did not answer, off the answering path, and compares the
   * labels with `answer`. When the queue is full the sample is dropped, never queued without bound.
   */
  private scoreInBackground(
    active: ActiveRollout,
    images: readonly Uint8Array[],
    answer: Prediction,
    scorer: RolloutRole,
  ): void {
    const { production, stats, backgroundQueue, logger } = this.options;
    const { rollout } = active;
    if (this.backgroundImages + images.length > backgroundQueue) {
      stats.dropped(rollout.id, rollout.candidate);
      return;
    }
    this.backgroundImages += images.length;
    if (scorer === 'candidate') active.inFlight++;
    const pool = scorer === 'candidate' ? active.pool : production;
    pool
      .predict(images)
      .then((scored) => {
        // No latency here: background work waits behind answers at low priority, which says
        // nothing about the model. The candidate's threads report their time per batch instead.
        if (scorer === 'candidate') {
          stats.observe(rollout.id, 'candidate', {
            version: rollout.candidate,
            images: images.length,
            confidences: confidences(scored),
          });
        }
        let agreed = 0;
        scored.probabilities.forEach((probabilities, i) => {
          if (topClass(probabilities) === topClass(answer.probabilities[i]!)) agreed++;
        });
        stats.compare(rollout.id, rollout.candidate, images.length, agreed);
      })
      .catch((error: unknown) => {
        if (scorer === 'candidate') {
          stats.observe(rollout.id, 'candidate', {
            version: rollout.candidate,
            images: images.length,
            failed: true,
          });
        }
        logger.debug({ err: error, scorer }, 'background scoring failed');
      })
      .finally(() => {
        this.backgroundImages -= images.length;
        if (scorer === 'candidate') active.inFlight--;
      });
  }
}
