// Each model version's drift reference: the monitored figures (predicted class, confidence, input
// statistics) on its evaluation set. Read from S3 when stored; otherwise computed once, lazily, by
// running the stored evaluation set through the model in service, then stored next to the others.
import { EVALUATION_DATASET, PIXELS_PER_IMAGE, S3Keys, type Logger } from '@visionops/core';
import { decodeDatasetFile } from '@visionops/core/dataset';
import {
  buildDriftReference,
  inputStatistics,
  type DriftReference,
  type MonitoredPrediction,
} from '@visionops/core/monitoring';
import { NotFoundError, type ObjectStore } from '@visionops/core/registry';
import type { InferencePool } from '../inference/inference-pool.js';
import { topClass } from '../predict/classify-images.js';

/** Evaluation images a reference is computed on at most (evenly spread over the set). */
export const REFERENCE_SAMPLE = 2000;
const CHUNK = 32;

export type ReferenceLookup = { reference: DriftReference } | { unavailable: string };

export class DriftReferences {
  private readonly known = new Map<string, DriftReference>();
  private readonly computing = new Map<string, Promise<ReferenceLookup>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly pool: InferencePool,
    private readonly logger: Logger,
  ) {}

  async get(version: string): Promise<ReferenceLookup> {
    const known = this.known.get(version);
    if (known) return { reference: known };
    let pending = this.computing.get(version);
    if (!pending) {
      pending = this.load(version).finally(() => this.computing.delete(version));
      this.computing.set(version, pending);
    }
    return pending;
  }

  private async load(version: string): Promise<ReferenceLookup> {
    try {
      const stored = JSON.parse(
        (await this.store.get(S3Keys.driftReference(version))).body.toString('utf8'),
      ) as DriftReference;
      this.known.set(version, stored);
      return { reference: stored };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const lookup = await this.compute(version);
    if ('reference' in lookup) {
      // Every gateway computes the same figures from the same set and model, so a race between
      // two of them writes the same object twice: no lock needed.
      await this.store.put(
        S3Keys.driftReference(version),
        JSON.stringify(lookup.reference),
        'application/json',
      );
      this.known.set(version, lookup.reference);
      this.logger.info({ version, n: lookup.reference.n }, 'drift reference computed and stored');
    }
    return lookup;
  }

  private async compute(version: string): Promise<ReferenceLookup> {
    if (this.pool.modelVersion !== version) {
      return {
        unavailable: `no reference is stored for ${version}, and it can only be computed while ${version} is in service`,
      };
    }
    let bytes: Buffer;
    try {
      bytes = (await this.store.get(S3Keys.dataset(EVALUATION_DATASET))).body;
    } catch (error) {
      if (error instanceof NotFoundError) {
        return {
          unavailable: `no reference is stored for ${version}, and there is no stored evaluation set to compute it from`,
        };
      }
      throw error;
    }
    const dataset = decodeDatasetFile(bytes);
    const take = Math.min(REFERENCE_SAMPLE, dataset.n);
    const images = Array.from({ length: take }, (_, k) => {
      const i = Math.floor((k * dataset.n) / take);
      return dataset.images.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
    });
    const predictions: MonitoredPrediction[] = [];
    for (let start = 0; start < images.length; start += CHUNK) {
      const chunk = images.slice(start, start + CHUNK);
      const result = await this.pool.predict(chunk);
      if (result.version !== version) {
        return { unavailable: `${version} left service while its reference was being computed; ask again` };
      }
      result.probabilities.forEach((probabilities, j) => {
        const classIndex = topClass(probabilities);
        predictions.push({
          classIndex,
          confidence: probabilities[classIndex]!,
          ...inputStatistics(chunk[j]!),
        });
      });
    }
    return {
      reference: buildDriftReference(predictions, {
        version,
        source: `${S3Keys.dataset(EVALUATION_DATASET)} (${take} of ${dataset.n} images)`,
      }),
    };
  }
}
