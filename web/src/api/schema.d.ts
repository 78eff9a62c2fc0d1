// The gateway API as TypeScript types, generated from its OpenAPI document by
// `pnpm --filter @visionops/web generate:api`: do not edit (web/test/api-types.test.ts checks it is current).
export interface paths {
  '/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: 200 while the process runs */
    get: operations['getHealth'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: a model is loaded and the ML backend runs; whether Redis and S3 answer */
    get: operations['getReady'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Classify one image (multipart field `file`) or several (field `files`, up to PREDICT_MAX_FILES). JPEG, PNG, WebP or GIF of any size, each up to MAX_IMAGE_BYTES. */
    post: operations['postPredict'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every published model version with its card, the production alias, and the version this gateway serves */
    get: operations['getModels'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/models/{version}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One model version: its card and whether it is in production */
    get: operations['getModelsVersion'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/models/{version}/promote': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Put a version in production (rollback: promote an older one); every gateway swaps to it */
    post: operations['postModelsVersionPromote'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Prometheus metrics: request durations, predictions, batch sizes, model swaps and loads, backend, Node.js */
    get: operations['getMetrics'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/retrain': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Upload a ZIP of class folders; a trainer fine-tunes production on it, evaluates, publishes and maybe promotes */
    post: operations['postRetrain'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Recent retrain jobs, newest first */
    get: operations['getJobs'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/jobs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One job: state, progress, result or failure reason, timestamps */
    get: operations['getJobsId'];
    put?: never;
    post?: never;
    /** Cancel a job: a queued one is removed, a running one stops within seconds and publishes nothing */
    delete: operations['deleteJobsId'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/trainers': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The live trainer processes and the job each one is running */
    get: operations['getTrainers'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/rollouts': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Start a rollout of a published version: shadow (production answers, the candidate scores a share of requests in the background) or canary (a stable share of clients, by `x-client-id` or address, is answered by the candidate). Every gateway follows it; criteria promote or roll back automatically. */
    post: operations['postRollouts'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/rollouts/current': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The rollout in progress (null when none), the live figures of both versions and what the criteria say */
    get: operations['getRolloutsCurrent'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/rollouts/current/promote': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Promote the candidate now (it becomes production on every gateway) and end the rollout */
    post: operations['postRolloutsCurrentPromote'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/rollouts/current/abort': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** End the rollout and keep production as it is (a rollback by hand) */
    post: operations['postRolloutsCurrentAbort'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/rollouts/history': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Finished rollouts, newest first: how each ended (promoted, rolled_back, aborted), why, and its figures */
    get: operations['getRolloutsHistory'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/openapi.json': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This API as an OpenAPI 3.1 document */
    get: operations['getOpenapiJson'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/docs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This API as an HTML page */
    get: operations['getDocs'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    BatchPrediction: {
      results: {
        filename: string;
        /** @enum {string} */
        label:
          'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
        confidence: number;
        /** @description probability of every class */
        probabilities: {
          [key: string]: number;
        };
      }[];
      /** @example v3 */
      modelVersion: string;
    };
    CurrentRollout: {
      rollout: components['schemas']['Rollout'] | null;
      stats: components['schemas']['RolloutStats'] | null;
      /** @description what the criteria say about the figures right now */
      verdict: {
        /** @enum {string} */
        action: 'continue' | 'promote' | 'rollback';
        reason: string;
      } | null;
      /** @description this gateway splits traffic for it (candidate loaded and warm) */
      active: boolean;
      /** @description why this gateway does not follow the rollout, if it does not */
      problem: string | null;
    };
    Error: {
      error: {
        /** @example model_not_ready */
        code: string;
        message: string;
        /** @description present on 5xx errors: quote it */
        requestId?: string;
      };
    };
    Job: {
      id: string;
      /** @enum {string} */
      state: 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
      cancelRequested: boolean;
      epochs: number;
      /** @enum {string} */
      promote: 'gate' | 'shadow' | 'canary';
      upload: {
        sha256: string;
        bytes: number;
        fileName: string | null;
      };
      progress: {
        /** @enum {string} */
        phase: 'downloading' | 'validating' | 'decoding' | 'training' | 'evaluating' | 'publishing';
        epoch?: number;
        epochs: number;
        batch?: number;
        batches?: number;
        loss?: number;
        accuracy?: number;
        history: {
          epoch: number;
          loss: number;
          accuracy: number;
          seconds: number;
        }[];
      } | null;
      result:
        | ({
            version: string;
            promoted: boolean;
            /** @description the rollout the version entered instead of a direct promotion */
            rollout?: {
              id: string;
              /** @enum {string} */
              mode: 'shadow' | 'canary';
              percent: number;
            } | null;
            accuracy: number;
            productionAccuracy: number;
            reason: string;
            skipped: {
              name: string;
              reason: string;
              detail?: string;
            }[];
          } & {
            [key: string]: unknown;
          })
        | null;
      failedReason: string | null;
      attempts: {
        made: number;
        max: number;
      };
      createdAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      statusUrl: string;
    };
    JobList: {
      jobs: components['schemas']['Job'][];
    };
    Prediction: {
      /** @enum {string} */
      label:
        'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
      confidence: number;
      /** @description probability of every class */
      probabilities: {
        [key: string]: number;
      };
      /** @example v3 */
      modelVersion: string;
    };
    ProductionAlias: {
      /** @example v3 */
      version: string;
      /** Format: date-time */
      promotedAt: string;
      reason: string;
    };
    RetrainAccepted: {
      jobId: string;
      statusUrl: string;
      /** @description the same upload was already queued or running: this is its job */
      existing: boolean;
      /** @description files found in class folders */
      images: number;
    };
    RetrainForm: {
      /**
       * Format: binary
       * @description a ZIP with one folder per CIFAR-10 label
       */
      file: string;
      /** @description fine-tuning epochs, 1 to 50 (default 3) */
      epochs?: string;
      /**
       * @description what a version that passes the gate does: `gate` (default) promotes it at once; `shadow` or `canary` start a rollout on live traffic whose criteria promote or roll it back
       * @enum {string}
       */
      promote?: 'gate' | 'shadow' | 'canary';
      /** @description the rollout's share, 0 to 100 (canary 10, shadow 100 by default) */
      rolloutPercent?: string;
    };
    Rollout: {
      id: string;
      /** @example v3 */
      candidate: string;
      /**
       * @description production when the rollout started
       * @example v3
       */
      baseline: string;
      /** @enum {string} */
      mode: 'shadow' | 'canary';
      percent: number;
      mirrorPercent: number;
      criteria: components['schemas']['RolloutCriteria'];
      startedAt: string;
      startReason: string;
    };
    RolloutCriteria: {
      minRequests: number;
      autoPromote: boolean;
      maxErrorRate: number;
      maxP99Ms: number;
      minAgreement: number | null;
      minSamples: number;
    };
    RolloutHistory: {
      rollouts: components['schemas']['RolloutRecord'][];
    };
    RolloutRecord: {
      id: string;
      /** @example v3 */
      candidate: string;
      /**
       * @description production when the rollout started
       * @example v3
       */
      baseline: string;
      /** @enum {string} */
      mode: 'shadow' | 'canary';
      percent: number;
      mirrorPercent: number;
      criteria: components['schemas']['RolloutCriteria'];
      startedAt: string;
      startReason: string;
      endedAt: string;
      /** @enum {string} */
      outcome: 'promoted' | 'rolled_back' | 'aborted';
      reason: string;
      /** @enum {string} */
      decidedBy: 'criteria' | 'admin';
      stats: components['schemas']['RolloutStats'] | null;
    };
    RolloutStart: {
      candidate: string;
      /** @enum {string} */
      mode: 'shadow' | 'canary';
      /**
       * @description canary: share of clients (0-100) answered by the candidate; shadow: share of requests it also scores
       * @example 20
       */
      percent: number;
      /** @default 25 */
      mirrorPercent: number;
      /** @description bounds for automatic rollback and the request count for automatic promotion */
      criteria?: {
        /** @default 500 */
        minRequests: number;
        /** @default true */
        autoPromote: boolean;
        /** @default 0.01 */
        maxErrorRate: number;
        /** @default 1000 */
        maxP99Ms: number;
        /** @default 0.8 */
        minAgreement: number | null;
        /** @default 20 */
        minSamples: number;
      };
      reason?: string;
    };
    RolloutStats: {
      production: components['schemas']['VersionStats'];
      candidate: components['schemas']['VersionStats'];
    };
    /** @description live figures summed over every gateway */
    VersionStats: {
      version: string;
      requests: number;
      errors: number;
      errorRate: number;
      /** @description samples not scored: the background queue was full */
      dropped: number;
      p50Ms: number | null;
      p99Ms: number | null;
      meanConfidence: number | null;
      /** @description images labelled by both versions */
      compared: number;
      /** @description share of compared images with the same label */
      agreement: number | null;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  getHealth: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description alive */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @constant */
            status: 'ok';
          };
        };
      };
    };
  };
  getReady: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description `ready`, or `degraded`: the loaded model serves predictions, but Redis or S3 does not answer (`reasons` says which) */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {string} */
            status: 'ready' | 'degraded' | 'not_ready';
            modelVersion: string | null;
            backend: string | null;
            checks: {
              /** @enum {string} */
              model: 'ok' | 'failed';
              /** @enum {string} */
              redis: 'ok' | 'failed';
              /** @enum {string} */
              s3: 'ok' | 'failed';
              /** @enum {string} */
              backend: 'ok' | 'failed';
            };
            reasons: string[];
          };
        };
      };
      /** @description `not_ready`: no model loaded or no ML backend; `reasons` says why */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @enum {string} */
            status: 'ready' | 'degraded' | 'not_ready';
            modelVersion: string | null;
            backend: string | null;
            checks: {
              /** @enum {string} */
              model: 'ok' | 'failed';
              /** @enum {string} */
              redis: 'ok' | 'failed';
              /** @enum {string} */
              s3: 'ok' | 'failed';
              /** @enum {string} */
              backend: 'ok' | 'failed';
            };
            reasons: string[];
          };
        };
      };
    };
  };
  postPredict: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': {
          /**
           * Format: binary
           * @description one image (JPEG, PNG, WebP or GIF)
           */
          file?: string;
          /** @description several images, answered in order */
          files?: string[];
        };
      };
    };
    responses: {
      /** @description `file`: a Prediction; `files`: a BatchPrediction with results in upload order */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Prediction'] | components['schemas']['BatchPrediction'];
        };
      };
      /** @description no file, a wrong field name, both fields, or too many files */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description an image is larger than MAX_IMAGE_BYTES, or the whole body than PREDICT_MAX_BODY_BYTES */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description not an image, an unsupported format, a damaged image, or too many pixels */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description over RATE_LIMIT_PREDICT_PER_MINUTE for this client; Retry-After says when to retry */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no model loaded yet (model_not_ready) */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getModels: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the registry */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            production: components['schemas']['ProductionAlias'] | null;
            /** @description the version this gateway has loaded */
            serving: string | null;
            versions: ({
              /** @example v3 */
              version: string;
              parent: string | null;
              createdAt: string;
              labels: string[];
              architecture: {
                name: string;
                width: number;
              } & {
                [key: string]: unknown;
              };
              metrics:
                | ({
                    accuracy: number;
                  } & {
                    [key: string]: unknown;
                  })
                | null;
              sizeBytes: number;
              inProduction: boolean;
            } & {
              [key: string]: unknown;
            })[];
          };
        };
      };
      /** @description storage unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getModelsVersion: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        version: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the model card */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @example v3 */
            version: string;
            parent: string | null;
            createdAt: string;
            labels: string[];
            architecture: {
              name: string;
              width: number;
            } & {
              [key: string]: unknown;
            };
            metrics:
              | ({
                  accuracy: number;
                } & {
                  [key: string]: unknown;
                })
              | null;
            sizeBytes: number;
            inProduction: boolean;
          } & {
            [key: string]: unknown;
          };
        };
      };
      /** @description not a version id (v1, v2, ...) */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no such version */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  postModelsVersionPromote: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        version: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /**
           * @description why (kept in the production alias)
           * @example rollback after a bad release
           */
          reason?: string;
        };
      };
    };
    responses: {
      /** @description the new production alias */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            production: components['schemas']['ProductionAlias'];
          };
        };
      };
      /** @description not a version id, or an invalid body */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no bearer token (when ADMIN_TOKEN is set) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description wrong bearer token */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no such version */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getMetrics: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Prometheus text exposition format */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
    };
  };
  postRetrain: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': components['schemas']['RetrainForm'];
      };
    };
    responses: {
      /** @description the job (a repeated upload answers with its job while it is queued or running) */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RetrainAccepted'];
        };
      };
      /** @description the ZIP is unsafe or not class folders; the message says what to fix */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no bearer token (when ADMIN_TOKEN is set) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description wrong bearer token */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description the upload is larger than RETRAIN_MAX_UPLOAD_BYTES */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description over RATE_LIMIT_RETRAIN_PER_HOUR for this client; Retry-After says when to retry */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description the job queue (Redis) or the storage (S3) is unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getJobs: {
    parameters: {
      query?: {
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the jobs */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['JobList'];
        };
      };
      /** @description `limit` is not a whole number from 1 to 100 */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getJobsId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the job */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description no such job */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  deleteJobsId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the queued job was removed (state cancelled) */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description the running job was told to stop */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description no bearer token (when ADMIN_TOKEN is set) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description wrong bearer token */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no such job */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description the job has already finished */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getTrainers: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description live trainers */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            trainers: {
              id: string;
              startedAt: string;
              busy: boolean;
              jobId: string | null;
            }[];
          };
        };
      };
    };
  };
  postRollouts: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['RolloutStart'];
      };
    };
    responses: {
      /** @description the rollout started */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            rollout: components['schemas']['Rollout'];
          };
        };
      };
      /** @description an invalid body */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no bearer token (when ADMIN_TOKEN is set) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description wrong bearer token */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no such candidate version */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description a rollout is in progress, the candidate is already in production, or there is no production */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description storage unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getRolloutsCurrent: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the current rollout */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CurrentRollout'];
        };
      };
      /** @description storage or Redis unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  postRolloutsCurrentPromote: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /**
           * @description why (kept in the history)
           * @example looks good on the dashboard
           */
          reason?: string;
        };
      };
    };
    responses: {
      /** @description the finished rollout as the history keeps it */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            rollout: components['schemas']['RolloutRecord'];
          };
        };
      };
      /** @description an invalid body */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no bearer token (when ADMIN_TOKEN is set) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description wrong bearer token */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no rollout is in progress (no_rollout), or it ended meanwhile (rollout_changed) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description storage unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  postRolloutsCurrentAbort: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /**
           * @description why (kept in the history)
           * @example looks good on the dashboard
           */
          reason?: string;
        };
      };
    };
    responses: {
      /** @description the finished rollout as the history keeps it */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            rollout: components['schemas']['RolloutRecord'];
          };
        };
      };
      /** @description an invalid body */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no bearer token (when ADMIN_TOKEN is set) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description wrong bearer token */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no rollout is in progress (no_rollout), or it ended meanwhile (rollout_changed) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description storage unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getRolloutsHistory: {
    parameters: {
      query?: {
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the history */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RolloutHistory'];
        };
      };
      /** @description an invalid limit */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description storage unavailable */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getOpenapiJson: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the OpenAPI document */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
    };
  };
  getDocs: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description an HTML page */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
    };
  };
}
