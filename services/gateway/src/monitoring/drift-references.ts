// Each model version's drift reference: the monitored figures (predicted class, confidence, input
// statistics) on its evaluation set. The trainer stores it when it publishes a version; for a
// version published without one (before references were written at publish time), it is computed
// once, lazily, by running the same sample of the stored evaluation set through the model in
// service, and stored next to the others.
import { EVALUATION_DATASET, S3Keys, type Logger } from '@visionops/core';
import { decodeDatasetFile } from '@visionops/core/dataset';
import {
  buildDriftReference,
  driftReferenceSample,
  getDriftReference,
  monitoredPrediction,
  putDriftReference,
  type DriftReference,
  type MonitoredPrediction,
} from '@visionops/core/monitoring';
import { NotFoundError, type ObjectStore } from '@visionops/core/registry';
import type { InferencePool } from '../inference/inference-pool.js';

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
    const stored = await getDriftReference(this.store, version);
    if (stored) {
      this.known.set(version, stored);
      return { reference: stored };
    }
    const lookup = await this.compute(version);
    if ('reference' in lookup) {
      // Every gateway computes the same figures from the same set and model, so a race between
      // two of them writes the same object twice: no lock needed.
      await putDriftReference(this.store, lookup.reference);
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
    const sample = driftReferenceSample(decodeDatasetFile(bytes), S3Keys.dataset(EVALUATION_DATASET));
    const predictions: MonitoredPrediction[] = [];
    for (let start = 0; start < sample.images.length; start += CHUNK) {
      const chunk = sample.images.slice(start, start + CHUNK);
      const result = await this.pool.predict(chunk);
      if (result.version !== version) {
        return { unavailable: `${version} left service while its reference was being computed; ask again` };
      }
      result.probabilities.forEach((probabilities, j) => {
        predictions.push(monitoredPrediction(chunk[j]!, probabilities));
      });
    }
    return { reference: buildDriftReference(predictions, { version, source: sample.source }) };
  }
}
