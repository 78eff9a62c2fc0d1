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
    /** Classify one image (multipart field `file`) or several (field `files`, up to PREDICT_MAX_FILES). JPEG, PNG, WebP or GIF of any size, each up to MAX_IMAGE_BYTES. With `explain=true` each result also has a saliency map of its predicted class (`explanation`), computed by the production model on a thread of its own, so plain predictions never wait for it. */
    post: operations['postPredict'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/monitoring': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Live figures of a model version over a time window, from the prediction log: predicted class distribution against its reference, confidence histogram, low-confidence rate, latency percentiles, and drift (population stability index per signal, the alert and the signals that fired). */
    get: operations['getMonitoring'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/monitoring/history': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Drift over time: the window cut into buckets of `step`, each with its predictions, the PSI of every signal against the version's reference and the alert state (at most 240 buckets), from the shared prediction log, so every gateway answers the same */
    get: operations['getMonitoringHistory'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/monitoring/predictions/{predictionId}/input.png': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A logged prediction's 32x32 input as a PNG (the image as the model saw it), while one is kept: for PREDICTION_LOG_RETENTION_HOURS with PREDICTION_STORE_IMAGES=true, otherwise only for the feedback window, or for good once labelled (GET /monitoring gives each low-confidence prediction its thumbnailUrl) */
    get: operations['getMonitoringPredictionsPredictionIdInputPng'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/models/import': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Import a Keras model (.h5 or .keras): a trainer converts it, evaluates it on the evaluation set, publishes it as a new version and promotes it through the usual gate; follow it at statusUrl */
    post: operations['postModelsImport'];
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
  '/models/{version}/export': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Download a version: `format=keras-h5` (default) a legacy Keras HDF5 file, `format=tfjs` a ZIP of model.json, weights.bin and card.json. The card says which preprocessing the model expects (also sent as the X-Visionops-Normalisation header) and how it is served: X-Visionops-Test-Time-Augmentation is `flip` when each answer averages the image and its mirror image, else `none` */
    get: operations['getModelsVersionExport'];
    put?: never;
    post?: never;
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
    /** Recent jobs (retrains and imports), newest first */
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
  '/feedback': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Feedback received: live accuracy per model version, labelled inputs waiting for retraining, the latest */
    get: operations['getFeedback'];
    put?: never;
    /** The true label of a prediction, by its predictionId, within PREDICTION_FEEDBACK_WINDOW_MINUTES of it; its input is kept for retraining */
    post: operations['postFeedback'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/retrain/from-feedback': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Builds a class-folder ZIP of the labelled inputs not yet retrained on, stores it by content like an upload, and queues the normal retrain job (replay, evaluation gate, promotion) */
    post: operations['postRetrainFromFeedback'];
    delete?: never;
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
  '/v2': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Server metadata: name, version and the protocol extensions implemented */
    get: operations['getV2'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/health/live': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: 200 while the process serves HTTP */
    get: operations['getV2HealthLive'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/health/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: a model is loaded and the inference threads run (as /ready serves predictions) */
    get: operations['getV2HealthReady'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{model}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Model metadata: versions, platform, input and output tensors */
    get: operations['getV2ModelsModel'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{model}/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Model readiness */
    get: operations['getV2ModelsModelReady'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{model}/infer': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Classify images: input "images" as UINT8 or FP32 [N,32,32,3] RGB pixels (FP32 rounded to 0..255) or BYTES [N] encoded images (JPEG, PNG, WebP, GIF; base64 strings in JSON), N up to PREDICT_MAX_FILES. Outputs "probabilities" FP32 [N,10] (or, with parameters.classification k, BYTES [N,k] "score:index:label") and "label" BYTES [N]. With the binary tensor data extension the body is the JSON header, then the tensors' bytes; Inference-Header-Content-Length gives the header length (Content-Type application/octet-stream), and so does the response when an output asks for binary_data. */
    post: operations['postV2ModelsModelInfer'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{model}/versions/{version}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Model metadata: versions, platform, input and output tensors */
    get: operations['getV2ModelsModelVersionsVersion'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{model}/versions/{version}/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Model readiness */
    get: operations['getV2ModelsModelVersionsVersionReady'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v2/models/{model}/versions/{version}/infer': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Classify images: input "images" as UINT8 or FP32 [N,32,32,3] RGB pixels (FP32 rounded to 0..255) or BYTES [N] encoded images (JPEG, PNG, WebP, GIF; base64 strings in JSON), N up to PREDICT_MAX_FILES. Outputs "probabilities" FP32 [N,10] (or, with parameters.classification k, BYTES [N,k] "score:index:label") and "label" BYTES [N]. With the binary tensor data extension the body is the JSON header, then the tensors' bytes; Inference-Header-Content-Length gives the header length (Content-Type application/octet-stream), and so does the response when an output asks for binary_data. */
    post: operations['postV2ModelsModelVersionsVersionInfer'];
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
        /** Format: uuid */
        predictionId: string;
        /** @description with `explain=true` only: where the model looked for the predicted class */
        explanation?: components['schemas']['Explanation'];
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
    DriftHistory: {
      version: string;
      window: {
        from: string;
        to: string;
      };
      stepSeconds: number;
      drift: {
        reference: {
          source: string;
          n: number;
          createdAt: string;
        } | null;
        /** @description why there are no drift scores */
        unavailable?: string;
        minPredictions: number;
        warnThreshold: number;
        alertThreshold: number;
      };
      buckets: {
        from: string;
        to: string;
        predictions: number;
        /** @description false below minPredictions: no alert then */
        enough: boolean;
        alert: boolean;
        fired: ('class' | 'confidence' | 'brightness' | 'contrast' | 'colour')[];
        /** @description PSI per signal; null for an empty bucket or without a reference */
        scores: {
          [key: string]: number;
        } | null;
      }[];
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
    Explanation: {
      /**
       * @description EXPLAIN_METHOD. `integrated-gradients`: each pixel's share of the class logit, measured along the path from the mean colour to the image (EXPLAIN_SAMPLES steps); `smoothgrad`: |gradient of the class logit| averaged over EXPLAIN_SAMPLES noisy copies of the image
       * @enum {string}
       */
      method: 'integrated-gradients' | 'smoothgrad';
      /**
       * @description the class explained: the predicted label
       * @enum {string}
       */
      class:
        'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
      /** @constant */
      width: 32;
      /** @constant */
      height: 32;
      /**
       * Format: starts_with
       * @description the map as a 32x32 RGBA PNG over the 32x32 input the model saw (the image resized to cover, centred): alpha is the saliency scaled to its 99th percentile (0-255), and the colour rises with it from dark purple to pale yellow
       */
      png: string;
    };
    Feedback: {
      predictionId: string;
      /** @enum {string} */
      label:
        'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
      /** @enum {string} */
      predicted:
        'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
      modelVersion: string;
      correct: boolean;
      receivedAt: string;
      /** @description whether the input was kept, so it can be retrained on */
      imageKept: boolean;
    };
    FeedbackList: {
      total: number;
      waiting: number;
      versions: {
        modelVersion: string;
        count: number;
        correct: number;
        /** @description live accuracy: share of its feedback it predicted right */
        accuracy: number;
      }[];
      recent: components['schemas']['Feedback'][];
    };
    FeedbackRequest: {
      /**
       * Format: uuid
       * @description the predictionId of a /predict answer
       */
      predictionId: string;
      /**
       * @description the true class of the image
       * @enum {string}
       */
      label:
        'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
    };
    ImportAccepted: {
      jobId: string;
      statusUrl: string;
      /** @description the same file with the same options was already queued or running: this is its job */
      existing: boolean;
      /** @enum {string} */
      format: 'keras-h5' | 'keras-v3';
    };
    ImportForm: {
      /**
       * Format: binary
       * @description a Keras model: legacy HDF5 (.h5) or a Keras 3 archive (.keras)
       */
      file: string;
      /**
       * @description `scale01` (default): RGB / 255, as a model trained on keras.datasets.cifar10 / 255 expects; `visionops`: the project's per-channel normalisation
       * @enum {string}
       */
      preprocessing?: 'scale01' | 'visionops';
      /**
       * @description `gate` (default): promoted when the evaluation gate allows; `never`: published only
       * @enum {string}
       */
      promote?: 'gate' | 'never';
    };
    ImportResult: {
      version: string;
      parent: string;
      promoted: boolean;
      /** @description accuracy of the new version on the evaluation set */
      accuracy: number;
      /** @description production's accuracy on the same set */
      productionAccuracy: number;
      /** @description why the version was or was not promoted, in a sentence */
      reason: string;
      evaluation: {
        /** @description the evaluation set used */
        dataset: string;
        /** @description images in it */
        n: number;
      };
      notes: string[];
      origin: {
        /** @enum {string} */
        format: 'keras-h5' | 'keras-v3';
        /** @description as the file records it */
        kerasVersion: string | null;
        backend: string | null;
        sha256: string;
        fileName: string | null;
        /**
         * @description `softmax`: the file's softmax was dropped so the model emits logits, as every served model does
         * @enum {string}
         */
        output: 'softmax' | 'logits';
      };
      /** @enum {string} */
      preprocessing: 'scale01' | 'visionops';
      layers: number;
      parameters: number;
      /** @description always empty: an import skips no files */
      skipped: {
        /** @description the entry's path inside the archive */
        name: string;
        /** @enum {string} */
        reason: 'unknown_class' | 'not_in_class_folder' | 'undecodable';
        detail?: string;
      }[];
      seconds: {
        total: number;
        evaluation: number;
      };
    };
    Job: {
      id: string;
      /** @enum {string} */
      kind: 'retrain' | 'import';
      /** @enum {string} */
      state: 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';
      /** @description a cancel was asked for and the trainer has not stopped yet */
      cancelRequested: boolean;
      /** @description fine-tuning epochs; 0 for an import */
      epochs: number;
      /**
       * @description how a version that passes the gate reaches production (a direct promotion, or a rollout)
       * @enum {string}
       */
      promote: 'gate' | 'shadow' | 'canary';
      upload: {
        sha256: string;
        bytes: number;
        fileName: string | null;
      };
      /** @description an import's options; null for a retrain */
      import: {
        /** @enum {string} */
        format: 'keras-h5' | 'keras-v3';
        /** @enum {string} */
        preprocessing: 'scale01' | 'visionops';
        /** @enum {string} */
        promote: 'gate' | 'never';
      } | null;
      progress: {
        /** @enum {string} */
        phase:
          'downloading' | 'validating' | 'decoding' | 'training' | 'evaluating' | 'publishing' | 'converting';
        /** @description 1-based epoch while training */
        epoch?: number;
        epochs: number;
        /** @description 1-based batch while training */
        batch?: number;
        batches?: number;
        /** @description running mean training loss of the epoch */
        loss?: number;
        /** @description running mean training accuracy of the epoch */
        accuracy?: number;
        history: {
          epoch: number;
          loss: number;
          accuracy: number;
          seconds: number;
        }[];
        /** @description images decoded so far (decoding phase) */
        decoded?: number;
      } | null;
      result: (components['schemas']['RetrainResult'] | components['schemas']['ImportResult']) | null;
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
    MonitoringReport: {
      version: string;
      window: {
        from: string;
        to: string;
      };
      predictions: number;
      classes: {
        /** @enum {string} */
        label:
          'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
        count: number;
        share: number;
        referenceShare: number | null;
      }[];
      confidenceHistogram: {
        from: number;
        to: number;
        count: number;
      }[];
      lowConfidence: {
        threshold: number;
        count: number;
        rate: number;
      };
      latencyMs: {
        p50: number;
        p95: number;
        p99: number;
      } | null;
      drift: {
        reference: {
          source: string;
          n: number;
          createdAt: string;
        } | null;
        /** @description why there are no drift scores */
        unavailable?: string;
        minPredictions: number;
        warnThreshold: number;
        alertThreshold: number;
        /** @description false below minPredictions: no alert then */
        enough?: boolean;
        alert?: boolean;
        fired?: ('class' | 'confidence' | 'brightness' | 'contrast' | 'colour')[];
        signals?: {
          /** @enum {string} */
          signal: 'class' | 'confidence' | 'brightness' | 'contrast' | 'colour';
          psi: number;
          threshold: number;
          fired: boolean;
        }[];
      };
      recentLowConfidence: {
        predictionId: string;
        time: string;
        /** @enum {string} */
        label:
          'airplane' | 'automobile' | 'bird' | 'cat' | 'deer' | 'dog' | 'frog' | 'horse' | 'ship' | 'truck';
        confidence: number;
        /** @description kept under PREDICTION_STORE_IMAGES */
        stored: boolean;
        /** @description where its 32x32 input is served while one is kept; null otherwise */
        thumbnailUrl: string | null;
      }[];
      /** @description which inputs are kept, so which have a thumbnail */
      thumbnailPolicy: string;
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
      /** Format: uuid */
      predictionId: string;
      /** @description with `explain=true` only: where the model looked for the predicted class */
      explanation?: components['schemas']['Explanation'];
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
    RetrainFromFeedback: {
      jobId: string;
      statusUrl: string;
      existing: boolean;
      images: number;
      sha256: string;
    };
    RetrainResult: {
      version: string;
      parent: string;
      promoted: boolean;
      /** @description accuracy of the new version on the evaluation set */
      accuracy: number;
      /** @description production's accuracy on the same set */
      productionAccuracy: number;
      /** @description why the version was or was not promoted, in a sentence */
      reason: string;
      evaluation: {
        /** @description the evaluation set used */
        dataset: string;
        /** @description images in it */
        n: number;
      };
      notes: string[];
      /** @description the rollout the version entered instead of a direct promotion */
      rollout?: {
        id: string;
        /** @enum {string} */
        mode: 'shadow' | 'canary';
        percent: number;
      } | null;
      /** @description files of the upload that were not used, with why (the first 100) */
      skipped: {
        /** @description the entry's path inside the archive */
        name: string;
        /** @enum {string} */
        reason: 'unknown_class' | 'not_in_class_folder' | 'undecodable';
        detail?: string;
      }[];
      skippedCount: number;
      images: {
        uploaded: number;
        replay: number;
        train: number;
      };
      seconds: {
        total: number;
        training: number;
        evaluation: number;
      };
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
    V2Error: {
      /** @description what went wrong and what to fix */
      error: string;
    };
    V2InferenceRequest: {
      id?: string;
      /** @description binary_data_output: true for every output as binary data */
      parameters?: {
        [key: string]: string | number | boolean | number[];
      };
      inputs: {
        name: string;
        shape: number[];
        /** @enum {string} */
        datatype: 'UINT8' | 'FP32' | 'BYTES';
        /** @description binary_data_size: the bytes of this tensor after the JSON header (binary extension) */
        parameters?: {
          [key: string]: string | number | boolean | number[];
        };
        /** @description row-major elements, flat or nested; BYTES elements are base64 strings */
        data?: unknown[];
      }[];
      outputs?: {
        /** @enum {string} */
        name: 'probabilities' | 'label';
        /** @description binary_data: true for binary output; classification: k for the top k classes */
        parameters?: {
          [key: string]: string | number | boolean | number[];
        };
      }[];
    };
    V2InferenceResponse: {
      model_name: string;
      model_version: string;
      id?: string;
      /** @description prediction_ids: the predictionId of each image, comma-separated in input order (also in the x-prediction-id header), for POST /feedback */
      parameters?: {
        prediction_ids: string;
      };
      outputs: {
        name: string;
        shape: number[];
        /** @enum {string} */
        datatype: 'FP32' | 'BYTES';
        parameters?: {
          [key: string]: string | number | boolean | number[];
        };
        data?: (number | string)[];
      }[];
    };
    V2ModelMetadata: {
      name: string;
      versions: string[];
      platform: string;
      inputs: {
        name: string;
        datatype: string;
        /** @description -1 for a dimension of any size */
        shape: number[];
      }[];
      outputs: {
        name: string;
        datatype: string;
        /** @description -1 for a dimension of any size */
        shape: number[];
      }[];
    };
    V2ServerMetadata: {
      name: string;
      version: string;
      extensions: string[];
    };
    /** @description live figures summed over every gateway */
    VersionStats: {
      version: string;
      requests: number;
      errors: number;
      errorRate: number;
      /** @description samples not scored: the background queue was full */
      dropped: number;
      /** @description shadow samples not scored: production was busy (ROLLOUT_SHADOW_ONLY_WHEN_IDLE) */
      skipped: number;
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
            backendSkipped: {
              backend: string;
              reason: string;
            }[];
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
            backendSkipped: {
              backend: string;
              reason: string;
            }[];
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
      query?: {
        explain?: 'true' | 'false';
      };
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
      /** @description `file`: a Prediction; `files`: a BatchPrediction with results in upload order. Every result has a `predictionId` (also in the `x-prediction-id` header, comma-separated for several) to send feedback about it. With `explain=true`, every result has an `explanation`. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Prediction'] | components['schemas']['BatchPrediction'];
        };
      };
      /** @description no file, a wrong field name, both fields, or too many files (with `explain=true`, more than EXPLAIN_MAX_IMAGES: `too_many_files_to_explain`); `explain` other than true or false */
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
      /** @description over RATE_LIMIT_PREDICT_PER_MINUTE for this client (`rate_limited`), or with `explain=true` the explanation thread already has EXPLAIN_MAX_PENDING requests (`explainer_busy`); Retry-After says when to retry */
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
  getMonitoring: {
    parameters: {
      query?: {
        version?: string;
        window?: string;
        since?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the report */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['MonitoringReport'];
        };
      };
      /** @description a bad version, window or since */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no version given and no model in service yet (model_not_ready) */
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
  getMonitoringHistory: {
    parameters: {
      query?: {
        version?: string;
        window?: string;
        step?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the buckets, oldest first */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DriftHistory'];
        };
      };
      /** @description a bad version, window or step, or more than 240 buckets */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no version given and no model in service yet (model_not_ready) */
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
  getMonitoringPredictionsPredictionIdInputPng: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        predictionId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the PNG */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description not a predictionId */
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
      /** @description no input is kept for this prediction (input_not_kept) */
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
  postModelsImport: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': components['schemas']['ImportForm'];
      };
    };
    responses: {
      /** @description the import job */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ImportAccepted'];
        };
      };
      /** @description no file, not an HDF5 or Keras 3 file, or a wrong field; the message says what to fix */
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
      /** @description the file is larger than IMPORT_MAX_UPLOAD_BYTES */
      413: {
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
                /** @description `resnet9` (trained by visionops) or `keras` (imported) */
                name: string;
                width?: number;
                /**
                 * @description `flip`: each answer averages the probabilities for the image and its mirror image (absent: `none`)
                 * @enum {string}
                 */
                testTimeAugmentation?: 'none' | 'flip';
                parameters: number;
              } & {
                [key: string]: unknown;
              };
              /** @description where an imported version came from; absent for versions visionops trained */
              origin?: {
                /** @enum {string} */
                format: 'keras-h5' | 'keras-v3';
                kerasVersion: string | null;
                sha256: string;
                /** @enum {string} */
                output: 'softmax' | 'logits';
              } & {
                [key: string]: unknown;
              };
              normalisation: {
                mean: number[];
                std: number[];
              };
              metrics:
                | ({
                    accuracy: number;
                    perClass?: {
                      [key: string]: number;
                    };
                    /** @description confusion[actual][predicted] */
                    confusion?: number[][];
                    n?: number;
                    dataset?: string;
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
              /** @description `resnet9` (trained by visionops) or `keras` (imported) */
              name: string;
              width?: number;
              /**
               * @description `flip`: each answer averages the probabilities for the image and its mirror image (absent: `none`)
               * @enum {string}
               */
              testTimeAugmentation?: 'none' | 'flip';
              parameters: number;
            } & {
              [key: string]: unknown;
            };
            /** @description where an imported version came from; absent for versions visionops trained */
            origin?: {
              /** @enum {string} */
              format: 'keras-h5' | 'keras-v3';
              kerasVersion: string | null;
              sha256: string;
              /** @enum {string} */
              output: 'softmax' | 'logits';
            } & {
              [key: string]: unknown;
            };
            normalisation: {
              mean: number[];
              std: number[];
            };
            metrics:
              | ({
                  accuracy: number;
                  perClass?: {
                    [key: string]: number;
                  };
                  /** @description confusion[actual][predicted] */
                  confusion?: number[][];
                  n?: number;
                  dataset?: string;
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
  getModelsVersionExport: {
    parameters: {
      query?: {
        format?: 'keras-h5' | 'tfjs';
      };
      header?: never;
      path: {
        version: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the model file */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description not a version id, or an unknown format */
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
  getFeedback: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the feedback */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['FeedbackList'];
        };
      };
    };
  };
  postFeedback: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['FeedbackRequest'];
      };
    };
    responses: {
      /** @description recorded */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Feedback'];
        };
      };
      /** @description not a predictionId, or not one of the ten labels */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description no such prediction in the feedback window (unknown_prediction) */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description the prediction already has feedback (duplicate_feedback) */
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
  postRetrainFromFeedback: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @default 3 */
          epochs?: number;
        };
      };
    };
    responses: {
      /** @description the job is queued */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RetrainFromFeedback'];
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
      /** @description no labelled inputs are waiting (no_feedback_waiting) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description the job queue or the storage is unavailable */
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
              /** @description host:pid */
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
  getV2: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description server metadata */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2ServerMetadata'];
        };
      };
    };
  };
  getV2HealthLive: {
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
            live: boolean;
          };
        };
      };
    };
  };
  getV2HealthReady: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description ready */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            ready: boolean;
          };
        };
      };
      /** @description no model loaded yet */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            ready: boolean;
          };
        };
      };
    };
  };
  getV2ModelsModel: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        model: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description model metadata */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2ModelMetadata'];
        };
      };
      /** @description a model other than "cifar10", or a version that is not the one in service */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
    };
  };
  getV2ModelsModelReady: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        model: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the model is loaded */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            name: string;
            ready: boolean;
          };
        };
      };
      /** @description a model other than "cifar10", or a version that is not the one in service */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description no model loaded yet */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            name: string;
            ready: boolean;
          };
        };
      };
    };
  };
  postV2ModelsModelInfer: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        model: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['V2InferenceRequest'];
      };
    };
    responses: {
      /** @description the requested outputs, in request order */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2InferenceResponse'];
        };
      };
      /** @description a malformed request: datatype, shape, data length, binary sizes, outputs, too many images */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description a model other than "cifar10", or a version that is not the one in service */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description an image over MAX_IMAGE_BYTES, or a body over PREDICT_MAX_BODY_BYTES */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description an encoded image that is not a decodable JPEG, PNG, WebP or GIF */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description over RATE_LIMIT_PREDICT_PER_MINUTE for this client (shared with /predict) */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description no model loaded yet */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
    };
  };
  getV2ModelsModelVersionsVersion: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        model: string;
        version: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description model metadata */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2ModelMetadata'];
        };
      };
      /** @description a model other than "cifar10", or a version that is not the one in service */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
    };
  };
  getV2ModelsModelVersionsVersionReady: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        model: string;
        version: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description the model is loaded */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            name: string;
            ready: boolean;
          };
        };
      };
      /** @description a model other than "cifar10", or a version that is not the one in service */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description no model loaded yet */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            name: string;
            ready: boolean;
          };
        };
      };
    };
  };
  postV2ModelsModelVersionsVersionInfer: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        model: string;
        version: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['V2InferenceRequest'];
      };
    };
    responses: {
      /** @description the requested outputs, in request order */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2InferenceResponse'];
        };
      };
      /** @description a malformed request: datatype, shape, data length, binary sizes, outputs, too many images */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description a model other than "cifar10", or a version that is not the one in service */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description an image over MAX_IMAGE_BYTES, or a body over PREDICT_MAX_BODY_BYTES */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description an encoded image that is not a decodable JPEG, PNG, WebP or GIF */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description over RATE_LIMIT_PREDICT_PER_MINUTE for this client (shared with /predict) */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
        };
      };
      /** @description no model loaded yet */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['V2Error'];
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
