// A rollout: a candidate version tried on live traffic next to production, in shadow (production
// answers, the candidate scores a sampled share in the background) or canary (a stable share of
// clients is answered by the candidate), with the criteria that promote it or roll it back.
import { z } from 'zod';
import { MODEL_VERSION_PATTERN } from '../names.js';

export const ROLLOUT_MODES = ['shadow', 'canary'] as const;
export type RolloutMode = (typeof ROLLOUT_MODES)[number];

/** The two versions a rollout compares; also the roles under which live figures are counted. */
export const ROLLOUT_ROLES = ['production', 'candidate'] as const;
export type RolloutRole = (typeof ROLLOUT_ROLES)[number];

export const rolloutCriteriaSchema = z.object({
  /** Promote automatically once the candidate has this many requests with every bound kept. */
  minRequests: z.number().int().min(1).max(10_000_000).default(500),
  autoPromote: z.boolean().default(true),
  /** Roll back at once when the candidate's error rate goes above this (0..1). */
  maxErrorRate: z.number().min(0).max(1).default(0.01),
  /** Roll back at once when the candidate's p99 inference latency goes above this, in ms. */
  maxP99Ms: z.number().positive().max(600_000).default(1000),
  /** Roll back at once when agreement with production (share of equal labels) drops below this. */
  minAgreement: z.number().min(0).max(1).nullable().default(0.8),
  /** A bound is judged only once it rests on this many observations (one error is not a rate). */
  minSamples: z.number().int().min(1).max(100_000).default(20),
});
export type RolloutCriteria = z.infer<typeof rolloutCriteriaSchema>;

export const rolloutRequestSchema = z.object({
  candidate: z.string().regex(MODEL_VERSION_PATTERN, 'model versions look like v1, v2, ...'),
  mode: z.enum(ROLLOUT_MODES),
  /** Canary: share of clients answered by the candidate. Shadow: share of requests it also scores. */
  percent: z.number().min(0).max(100),
  /** Canary only: share of candidate answers also scored by production, to measure agreement. */
  mirrorPercent: z.number().min(0).max(100).default(25),
  criteria: rolloutCriteriaSchema.prefault({}),
  reason: z.string().trim().min(1).max(200).optional(),
});
export type RolloutRequest = z.input<typeof rolloutRequestSchema>;

export const rolloutSchema = rolloutRequestSchema.omit({ reason: true }).extend({
  id: z.string().regex(/^r[0-9A-Za-z-]{1,63}$/),
  /** Production when the rollout started: what the candidate is compared with. */
  baseline: z.string().regex(MODEL_VERSION_PATTERN),
  startedAt: z.iso.datetime(),
  startReason: z.string(),
});
export type Rollout = z.infer<typeof rolloutSchema>;

/** Live figures of one version during a rollout, summed over every gateway. */
export interface VersionStats {
  version: string;
  /** Requests this version answered (production, canary) or scored (shadow, mirror). */
  requests: number;
  errors: number;
  errorRate: number;
  /** Sampled requests not scored because the background queue was full (shadow, mirror). */
  dropped: number;
  /** Sampled requests not scored because production was busy then (shadow scoring only when idle). */
  skipped: number;
  /** Inference latency (queue and model, not HTTP), from a shared histogram: bucket upper bounds. */
  p50Ms: number | null;
  p99Ms: number | null;
  meanConfidence: number | null;
  /** Images scored by both versions, and the share on which their labels agree. */
  compared: number;
  agreement: number | null;
}

export type RolloutStats = Record<RolloutRole, VersionStats>;

export const ROLLOUT_OUTCOMES = ['promoted', 'rolled_back', 'aborted'] as const;
export type RolloutOutcome = (typeof ROLLOUT_OUTCOMES)[number];

/** A finished rollout as the history keeps it: how it ended, why, who decided, and the figures then. */
export type RolloutRecord = Rollout & {
  endedAt: string;
  outcome: RolloutOutcome;
  reason: string;
  decidedBy: 'criteria' | 'admin';
  stats: RolloutStats | null;
};
