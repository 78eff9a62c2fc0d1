// The Open Inference Protocol (KServe V2) REST routes for the model `cifar10`: server and model
// metadata, liveness and readiness, and infer with JSON or binary tensor data. Inference takes the
// same path as POST /predict (decodeImage for encoded images, the inference pool's batches, its
// limits, rate limit and metrics); only the wire format differs.
import express, { Router, type Request, type RequestHandler } from 'express';
import { LABELS, MODEL_VERSION_PATTERN, type Config } from '@visionops/core';
import { NotFoundError, type ModelRegistry } from '@visionops/core/registry';
import { AppError } from '../app-error.js';
import type { RouteDoc, RouteResponseDoc } from '../api/route-docs.js';
import type { InferencePool } from '../inference/inference-pool.js';
import { mebibytes } from '../multipart-errors.js';
import { logAnswer, type PredictionLog } from '../monitoring/prediction-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import {
  decodeUploadedImages,
  modelNotReady,
  predictDecoded,
  type ClassProbabilities,
  type ServingTarget,
} from '../predict/classify-images.js';
import { bodyLimit } from '../security/body-limit.js';
import {
  encodeInferenceResponse,
  readInferenceRequest,
  type OutputTensor,
  type RequestedOutput,
} from './tensor-codec.js';
import { sendV2Error, v2ErrorHandler, v2NotFound } from './v2-error-handler.js';
import {
  V2_EXTENSIONS,
  V2_INPUT_METADATA,
  V2_MODEL_NAME,
  V2_OUTPUT_METADATA,
  v2ErrorSchema,
  v2InferenceRequestSchema,
  v2InferenceResponseSchema,
  v2LiveSchema,
  v2ModelMetadataSchema,
  v2ModelParamsSchema,
  v2ModelReadySchema,
  v2ReadySchema,
  v2ServerMetadataSchema,
  v2VersionParamsSchema,
} from './v2-schemas.js';

const TAG = 'open inference protocol (V2)';
const SERVER_NAME = 'visionops';
/** platform as the protocol spells it, <project>_<format>: TensorFlow.js layers models. */
const PLATFORM = 'tensorflowjs_layers';
const HEADER_LENGTH = 'Inference-Header-Content-Length';

const MODEL_PATH = '/v2/models/:model';
const VERSION_PATH = '/v2/models/:model/versions/:version';

const v2Error = (description: string): RouteResponseDoc => ({ description, schema: v2ErrorSchema });
const notFound = v2Error(
  `a model other than "${V2_MODEL_NAME}", or a version that is not the one in service`,
);

function modelDocs(path: string, params: RouteDoc['params']): RouteDoc[] {
  return [
    {
      method: 'get',
      path,
      tag: TAG,
      summary: 'Model metadata: versions, platform, input and output tensors',
      params,
      responses: { 200: { description: 'model metadata', schema: v2ModelMetadataSchema }, 404: notFound },
    },
    {
      method: 'get',
      path: `${path}/ready`,
      tag: TAG,
      summary: 'Model readiness',
      params,
      responses: {
        200: { description: 'the model is loaded', schema: v2ModelReadySchema },
        404: notFound,
        503: { description: 'no model loaded yet', schema: v2ModelReadySchema },
      },
    },
    {
      method: 'post',
      path: `${path}/infer`,
      tag: TAG,
      summary:
        'Classify images: input "images" as UINT8 or FP32 [N,32,32,3] RGB pixels (FP32 rounded to 0..255) or ' +
        'BYTES [N] encoded images (JPEG, PNG, WebP, GIF; base64 strings in JSON), N up to PREDICT_MAX_FILES. ' +
        'Outputs "probabilities" FP32 [N,10] (or, with parameters.classification k, BYTES [N,k] ' +
        '"score:index:label") and "label" BYTES [N]. With the binary tensor data extension the body is ' +
        "the JSON header, then the tensors' bytes; Inference-Header-Content-Length gives the header length " +
        '(Content-Type application/octet-stream), and so does the response when an output asks for binary_data.',
      params,
      body: { contentType: 'application/json', schema: v2InferenceRequestSchema, required: true },
      responses: {
        200: { description: 'the requested outputs, in request order', schema: v2InferenceResponseSchema },
        400: v2Error(
          'a malformed request: datatype, shape, data length, binary sizes, outputs, too many images',
        ),
        404: notFound,
        413: v2Error('an image over MAX_IMAGE_BYTES, or a body over PREDICT_MAX_BODY_BYTES'),
        415: v2Error('an encoded image that is not a decodable JPEG, PNG, WebP or GIF'),
        429: v2Error('over RATE_LIMIT_PREDICT_PER_MINUTE for this client (shared with /predict)'),
        503: v2Error('no model loaded yet'),
      },
    },
  ];
}

export const v2RouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v2',
    tag: TAG,
    summary: 'Server metadata: name, version and the protocol extensions implemented',
    responses: { 200: { description: 'server metadata', schema: v2ServerMetadataSchema } },
  },
  {
    method: 'get',
    path: '/v2/health/live',
    tag: TAG,
    summary: 'Liveness: 200 while the process serves HTTP',
    responses: { 200: { description: 'alive', schema: v2LiveSchema } },
  },
  {
    method: 'get',
    path: '/v2/health/ready',
    tag: TAG,
    summary: 'Readiness: a model is loaded and the inference threads run (as /ready serves predictions)',
    responses: {
      200: { description: 'ready', schema: v2ReadySchema },
      503: { description: 'no model loaded yet', schema: v2ReadySchema },
    },
  },
  ...modelDocs(MODEL_PATH, v2ModelParamsSchema),
  ...modelDocs(VERSION_PATH, v2VersionParamsSchema),
];

export interface V2RouteOptions {
  config: Pick<Config, 'MAX_IMAGE_BYTES' | 'PREDICT_MAX_FILES' | 'PREDICT_MAX_BODY_BYTES'>;
  pool: InferencePool;
  metrics: GatewayMetrics;
  registry: ModelRegistry;
  /** The rate limit of /predict, the same counter: V2 infer is another way to predict. */
  predictRateLimit: RequestHandler;
  /** What answers an infer request that names no version: production, or a rollout's choice. */
  targetFor?: (req: Request) => ServingTarget;
  serverVersion: string;
  /** Where answers are logged for monitoring and feedback, as /predict's are. */
  log?: PredictionLog;
}

/** The path's model name and version; both routes of a kind share one handler. */
function addressed(req: Request): { model?: string; version?: string } {
  return req.params;
}

function requireModelName(model: string | undefined): void {
  if (model !== V2_MODEL_NAME) {
    throw new AppError(
      'model_not_found',
      `unknown model "${model}": this server serves "${V2_MODEL_NAME}"`,
      404,
    );
  }
}

/** The top `k` classes of one image as the classification extension writes them. */
function topClasses(probabilities: Float32Array, k: number): string[] {
  return [...probabilities.keys()]
    .sort((a, b) => probabilities[b]! - probabilities[a]! || a - b)
    .slice(0, k)
    .map((c) => `${probabilities[c]}:${c}:${LABELS[c]}`);
}

function outputTensors(result: ClassProbabilities, outputs: RequestedOutput[]): OutputTensor[] {
  const count = result.probabilities.length;
  return outputs.map(({ name, binary, classification }) => {
    if (name === 'label') return { name, datatype: 'BYTES', shape: [count], values: result.labels, binary };
    if (classification !== undefined) {
      const values = result.probabilities.flatMap((each) => topClasses(each, classification));
      return { name, datatype: 'BYTES', shape: [count, classification], values, binary };
    }
    const values = new Float32Array(count * LABELS.length);
    result.probabilities.forEach((each, i) => values.set(each, i * LABELS.length));
    return { name, datatype: 'FP32', shape: [count, LABELS.length], values, binary };
  });
}

export function v2Routes(options: V2RouteOptions): Router {
  const { config, pool, metrics, registry } = options;
  const targetFor = options.targetFor ?? (() => pool);
  const router = Router();

  /** The version a request addresses, when it is the one in service; 404 or 503 otherwise. */
  async function servedVersion(model: string | undefined, version: string | undefined): Promise<string> {
    requireModelName(model);
    const current = pool.modelVersion;
    if (!current) throw modelNotReady();
    if (version === undefined || version === current) return current;
    // Whether the registry has it, only to word the 404: a registry that does not answer says neither.
    const known = MODEL_VERSION_PATTERN.test(version)
      ? await registry.getCard(version).then(
          () => 'exists' as const,
          (error: unknown) => (error instanceof NotFoundError ? ('missing' as const) : ('unknown' as const)),
        )
      : ('missing' as const);
    const message = {
      exists:
        `version "${version}" of "${V2_MODEL_NAME}" is not loaded: this server serves only the production ` +
        `version, ${current}; address it, or leave the version out`,
      missing: `"${V2_MODEL_NAME}" has no version "${version}"; the version in service is ${current}`,
      unknown: `version "${version}" of "${V2_MODEL_NAME}" is not in service; the version in service is ${current}`,
    }[known];
    throw new AppError('version_not_served', message, 404);
  }

  router.get('/v2', (_req, res) => {
    res.json({ name: SERVER_NAME, version: options.serverVersion, extensions: [...V2_EXTENSIONS] });
  });
  router.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });
  router.get('/v2/health/ready', (_req, res) => {
    const ready = pool.modelVersion !== undefined && pool.backend !== undefined;
    res.status(ready ? 200 : 503).json({ ready });
  });

  for (const path of [MODEL_PATH, VERSION_PATH]) {
    router.get(path, async (req, res) => {
      const version = await servedVersion(addressed(req).model, addressed(req).version);
      res.json({
        name: V2_MODEL_NAME,
        versions: [version],
        platform: PLATFORM,
        inputs: [V2_INPUT_METADATA],
        outputs: V2_OUTPUT_METADATA,
      });
    });
    router.get(`${path}/ready`, async (req, res) => {
      requireModelName(addressed(req).model);
      if (pool.modelVersion === undefined) {
        res.status(503).json({ name: V2_MODEL_NAME, ready: false });
        return;
      }
      await servedVersion(addressed(req).model, addressed(req).version);
      res.json({ name: V2_MODEL_NAME, ready: true });
    });
    router.post(
      `${path}/infer`,
      options.predictRateLimit,
      (req, _res, next) => {
        // Before the body is read: a request for another model costs no upload.
        requireModelName(addressed(req).model);
        next();
      },
      bodyLimit(
        config.PREDICT_MAX_BODY_BYTES,
        () =>
          new AppError(
            'request_too_large',
            `an infer request may carry at most ${mebibytes(config.PREDICT_MAX_BODY_BYTES)} ` +
              `(${config.PREDICT_MAX_BODY_BYTES} bytes) in all; send fewer or smaller images per request`,
            413,
          ),
        sendV2Error,
      ),
      // JSON, or a JSON header followed by binary data, whatever Content-Type says: read as bytes.
      express.raw({ type: () => true, limit: config.PREDICT_MAX_BODY_BYTES, inflate: false }),
      async (req, res) => {
        // The body went over its limit as it ended, and the 413 is out: no work for a lost answer.
        if (res.headersSent) return;
        const { model, version: requested } = addressed(req);
        await servedVersion(model, requested);
        const started = performance.now();
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const request = readInferenceRequest(body, req.get(HEADER_LENGTH), {
          maxImages: config.PREDICT_MAX_FILES,
          maxImageBytes: config.MAX_IMAGE_BYTES,
        });
        const pixels =
          request.images.datatype === 'BYTES'
            ? await decodeUploadedImages(
                request.images.encoded.map((data, i) => ({ filename: `images[${i}]`, data })),
              )
            : request.images.pixels;
        // A request for an explicit version is answered by that version (production) only; one that
        // names none is answered as /predict is, so a canary splits V2 clients too.
        const result = await predictDecoded(pixels, requested === undefined ? targetFor(req) : pool, metrics);
        // A promotion swapped the model while this request waited: its answer is not from the version asked for.
        if (requested !== undefined && result.modelVersion !== requested) {
          throw new AppError(
            'version_not_served',
            `version "${requested}" went out of service during the request; the version in service is ${result.modelVersion}`,
            404,
          );
        }
        const ids = logAnswer(options.log, {
          modelVersion: result.modelVersion,
          probabilities: result.probabilities,
          pixels,
          ...(request.images.datatype === 'BYTES' && { encoded: request.images.encoded }),
          latencyMs: performance.now() - started,
        });
        res.setHeader('x-prediction-id', ids.join(','));
        const { body: answer, headerLength } = encodeInferenceResponse(
          {
            model_name: V2_MODEL_NAME,
            model_version: result.modelVersion,
            ...(request.id !== undefined && { id: request.id }),
            // One id per image, in order, to send feedback about it (POST /feedback).
            parameters: { prediction_ids: ids.join(',') },
          },
          outputTensors(result, request.outputs),
        );
        if (headerLength === undefined) {
          res.type('application/json').send(answer);
        } else {
          res.setHeader(HEADER_LENGTH, String(headerLength));
          res.type('application/octet-stream').send(answer);
        }
      },
    );
  }

  // Scoped to /v2: the rest of the API keeps its own 404 and error shape.
  router.use('/v2', v2NotFound);
  router.use('/v2', v2ErrorHandler);
  return router;
}
