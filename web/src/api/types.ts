// The gateway's response shapes as the dashboard uses them; they mirror the zod schemas in
// services/gateway/src/api/api-schemas.ts and retrain/retrain-schemas.ts (see /openapi.json).
export { LABELS, type Label } from '../../../services/core/src/labels.js';
import type { Label } from '../../../services/core/src/labels.js';
import type {
  RetrainEpochSummary,
  RetrainPhase,
  RetrainProgress,
} from '../../../services/core/src/jobs/retrain-job.js';

export interface ApiErrorBody {
  error: { code: string; message: string; requestId?: string };
}

export interface Prediction {
  label: Label;
  confidence: number;
  probabilities: Record<Label, number>;
  modelVersion: string;
}

export interface ProductionAlias {
  version: string;
  promotedAt: string;
  reason: string;
}

export interface EvaluationMetrics {
  accuracy: number;
  perClass?: Record<string, number>;
  confusion?: number[][];
  n?: number;
  dataset?: string;
}

export interface ModelCard {
  version: string;
  parent: string | null;
  createdAt: string;
  labels: string[];
  architecture: { name: string; width: number; parameters?: number };
  metrics: EvaluationMetrics | null;
  sizeBytes: number;
  inProduction: boolean;
}

export interface ModelList {
  production: ProductionAlias | null;
  serving: string | null;
  versions: ModelCard[];
}

export type JobState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
export type { RetrainPhase };
export type EpochSummary = RetrainEpochSummary;
/** What GET /jobs/:id reports of a job's progress (the trainer's progress without `decoded`). */
export type JobProgress = Omit<RetrainProgress, 'decoded'>;

export interface SkippedFile {
  name: string;
  reason: string;
  detail?: string;
}

export interface JobResult {
  version: string;
  promoted: boolean;
  accuracy: number;
  productionAccuracy: number;
  reason: string;
  skipped: SkippedFile[];
}

export interface Job {
  id: string;
  state: JobState;
  cancelRequested: boolean;
  epochs: number;
  upload: { sha256: string; bytes: number; fileName: string | null };
  progress: JobProgress | null;
  result: JobResult | null;
  failedReason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RetrainAccepted {
  jobId: string;
  statusUrl: string;
  existing: boolean;
  images: number;
}

export type CheckState = 'ok' | 'failed';
export interface Readiness {
  status: 'ready' | 'not_ready';
  modelVersion: string | null;
  backend: string | null;
  checks: { model: CheckState; redis: CheckState; s3: CheckState; backend: CheckState };
  reasons: string[];
}

/** A live trainer process, as GET /trainers reports it from its heartbeat. */
export interface TrainerInfo {
  id: string;
  startedAt: string;
  busy: boolean;
  jobId: string | null;
}
