// The scenarios `npm run loadtest` and `npm run loadtest:smoke` run, in order, with what each one
// shows. Load shapes and SLOs live in the YAML files; this list only chooses and describes them.

export interface Scenario {
  name: string;
  file: string;
  description: string;
  /** Values for the file's config.variables. */
  variables?: Record<string, number>;
  /** Upper bound on artillery's wall time, start-up included; its phases end well before. */
  timeoutMs: number;
  /** Runs a retrain job during the load (retrain-under-load). */
  retrain?: { afterMs: number; epochs: number; imagesPerClass: number };
  /** Runs a canary of a candidate during the load until its criteria promote it (canary-rollout). */
  rollout?: { afterMs: number; percent: number; minRequests: number; maxP99Ms: number };
}

const CANARY_ROLLOUT: Scenario = {
  name: 'canary-rollout',
  file: 'canary-rollout.yml',
  description:
    'Steady /predict arrivals at 20/s, each client with its own x-client-id, while a canary sends 25% of clients to a candidate (a copy of production) until its criteria promote it and every answer comes from it.',
  timeoutMs: 240_000,
  rollout: { afterMs: 15_000, percent: 25, minRequests: 300, maxP99Ms: 1000 },
};

export const FULL_RUN: readonly Scenario[] = [
  {
    name: 'locust-parity',
    file: 'locust-parity.yml',
    description:
      'The reference Locust test: 5 users spawned at 2/s, each POSTing /predict with a real image in a closed loop (no think time) for 60 s.',
    variables: { loopSeconds: 60 },
    timeoutMs: 150_000,
  },
  {
    name: 'predict-steady',
    file: 'predict-steady.yml',
    description:
      'Open-model arrivals at a constant 20/s, below the knee measured on this machine, one /predict upload each, for 60 s (the rate of retrain-under-load, without the retrain).',
    timeoutMs: 150_000,
  },
  {
    name: 'predict-ramp',
    file: 'predict-ramp.yml',
    description: 'Open-model arrivals in 20 s steps of rising rate, one /predict upload each, past the knee.',
    timeoutMs: 300_000,
  },
  {
    name: 'retrain-under-load',
    file: 'retrain-under-load.yml',
    description:
      'Steady /predict arrivals while a retrain job (real CIFAR-10 images, 1 epoch) runs on the same machine, completes and is hot-swapped into the gateway.',
    timeoutMs: 360_000,
    retrain: { afterMs: 45_000, epochs: 1, imagesPerClass: 20 },
  },
  CANARY_ROLLOUT,
];

/** `npm run loadtest:canary`: the canary rollout alone. */
export const CANARY_RUN: readonly Scenario[] = [CANARY_ROLLOUT];

export const SMOKE_RUN: readonly Scenario[] = [
  {
    name: 'smoke',
    file: 'smoke.yml',
    description: 'A short warm-up, then 20 s of steady /predict arrivals; fails on any SLO breach.',
    timeoutMs: 90_000,
  },
];
