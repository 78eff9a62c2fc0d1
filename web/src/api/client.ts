// The dashboard's typed client of the gateway API. Same origin in production (the gateway serves
// the dashboard) and through the Vite proxy in development. Admin routes send the bearer token.
// Every shape comes from schema.d.ts, generated from the gateway's OpenAPI document.
import type { components, paths } from './schema.js';

type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'delete';
/**
 * The JSON body `method path` answers with `status`, as the OpenAPI document declares it. A
 * combination the document does not declare gives a type with no usable field (not `never`, which
 * would fit anywhere), so using it fails to compile.
 */
type JsonBody<P extends keyof paths, M extends Method, S extends number = 200> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : { undeclaredResponse: `${M & string} ${P & string} ${S} has no JSON body in the OpenAPI document` };

export type ApiErrorBody = Schemas['Error'];
export type Prediction = Schemas['Prediction'];
export type Label = Prediction['label'];
export type Explanation = Schemas['Explanation'];
export type ModelList = JsonBody<'/models', 'get'>;
export type ModelCard = ModelList['versions'][number];
export type Job = Schemas['Job'];
export type JobProgress = NonNullable<Job['progress']>;
export type EpochSummary = JobProgress['history'][number];
export type RetrainAccepted = JsonBody<'/retrain', 'post', 202>;
export type Readiness = JsonBody<'/ready', 'get'>;
export type TrainerInfo = JsonBody<'/trainers', 'get'>['trainers'][number];
export type CurrentRollout = JsonBody<'/rollouts/current', 'get'>;
export type RolloutRecord = Schemas['RolloutRecord'];
export type VersionStats = Schemas['VersionStats'];
export type RolloutStart = Schemas['RolloutStart'];
export type MonitoringReport = Schemas['MonitoringReport'];
export type DriftHistory = Schemas['DriftHistory'];
export type FeedbackList = Schemas['FeedbackList'];
export type Feedback = Schemas['Feedback'];
export type RetrainFromFeedback = Schemas['RetrainFromFeedback'];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'object';
}

function errorFrom(status: number, body: unknown, fallback: string): ApiError {
  if (isErrorBody(body))
    return new ApiError(status, body.error.code, body.error.message, body.error.requestId);
  return new ApiError(status, `http_${status}`, fallback);
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'the gateway did not answer; is it running?');
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw errorFrom(response.status, body, `${path} answered ${response.status}`);
  return body as T;
}

/** With `explain`, the answer also carries a saliency map of the predicted class. */
export function predict(image: Blob, filename: string, explain = false): Promise<Prediction> {
  const form = new FormData();
  form.append('file', image, filename);
  return request<Prediction>(explain ? '/predict?explain=true' : '/predict', { method: 'POST', body: form });
}

export const listModels = () => request<ModelList>('/models');
export const listJobs = (limit = 20) => request<JsonBody<'/jobs', 'get'>>(`/jobs?limit=${limit}`);
export const readiness = () => request<Readiness>('/ready').catch(readinessFromError);
export const health = () => request<JsonBody<'/health', 'get'>>('/health');
export const listTrainers = () => request<JsonBody<'/trainers', 'get'>>('/trainers');

// /ready answers 503 with the same body when something is down: that is a result, not a failure.
async function readinessFromError(error: unknown): Promise<Readiness> {
  if (error instanceof ApiError && error.status === 503) {
    const response = await fetch('/ready');
    return (await response.json()) as Readiness;
  }
  throw error;
}

export async function metricsText(): Promise<string> {
  const response = await fetch('/metrics').catch(() => undefined);
  if (!response?.ok)
    throw new ApiError(response?.status ?? 0, 'metrics', 'the gateway did not answer /metrics');
  return response.text();
}

export function cancelJob(id: string, token: string | undefined): Promise<Job> {
  return request<JsonBody<'/jobs/{id}', 'delete', 200 | 202>>(`/jobs/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: authHeaders(token),
  });
}

type PromoteBody = NonNullable<
  paths['/models/{version}/promote']['post']['requestBody']
>['content']['application/json'];

export function promote(version: string, reason: string, token: string | undefined) {
  return request<JsonBody<'/models/{version}/promote', 'post'>>(
    `/models/${encodeURIComponent(version)}/promote`,
    {
      method: 'POST',
      headers: { ...authHeaders(token), 'content-type': 'application/json' },
      body: JSON.stringify({ reason } satisfies PromoteBody),
    },
  );
}

/**
 * POST /retrain with XMLHttpRequest rather than fetch: only XHR reports upload progress.
 * `onProgress` gets the fraction sent, 0 to 1.
 */
export function uploadRetrain(
  zip: File,
  epochs: number,
  token: string | undefined,
  onProgress: (fraction: number) => void,
  promote: Job['promote'] = 'gate',
): Promise<RetrainAccepted> {
  const form = new FormData();
  form.append('epochs', String(epochs));
  if (promote !== 'gate') form.append('promote', promote);
  form.append('file', zip, zip.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/retrain');
    for (const [name, value] of Object.entries(authHeaders(token))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload did not reach the gateway'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as RetrainAccepted);
      else reject(errorFrom(xhr.status, body, `/retrain answered ${xhr.status}`));
    };
    xhr.send(form);
  });
}

// Rollouts: the current one with its live figures, the history, and the admin actions.
export const currentRollout = () => request<CurrentRollout>('/rollouts/current');
export const rolloutHistory = (limit = 20) =>
  request<JsonBody<'/rollouts/history', 'get'>>(`/rollouts/history?limit=${limit}`);

export function startRollout(body: RolloutStart, token: string | undefined) {
  return request<JsonBody<'/rollouts', 'post', 201>>('/rollouts', {
    method: 'POST',
    headers: { ...authHeaders(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export function decideRollout(action: 'promote' | 'abort', reason: string, token: string | undefined) {
  return request<JsonBody<'/rollouts/current/promote', 'post'>>(`/rollouts/current/${action}`, {
    method: 'POST',
    headers: { ...authHeaders(token), 'content-type': 'application/json' },
    body: JSON.stringify({ reason }),
  });
}

export function monitoring(window = '1h'): Promise<MonitoringReport> {
  return request<MonitoringReport>(`/monitoring?window=${encodeURIComponent(window)}`);
}

export function driftHistory(window = '1h'): Promise<DriftHistory> {
  return request<DriftHistory>(`/monitoring/history?window=${encodeURIComponent(window)}`);
}

/**
 * A kept input's thumbnail as an object URL (the route is an admin one, so an <img> cannot fetch it
 * itself); the caller revokes it. Undefined when the input is no longer kept or the token is refused.
 */
export async function thumbnail(url: string, token: string | undefined): Promise<string | undefined> {
  const response = await fetch(url, { headers: authHeaders(token) }).catch(() => undefined);
  if (!response?.ok) return undefined;
  return URL.createObjectURL(await response.blob());
}

export const listFeedback = () => request<FeedbackList>('/feedback');

export function sendFeedback(predictionId: string, label: Label): Promise<Feedback> {
  return request<Feedback>('/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ predictionId, label }),
  });
}

export function retrainFromFeedback(token: string | undefined): Promise<RetrainFromFeedback> {
  return request<RetrainFromFeedback>('/retrain/from-feedback', {
    method: 'POST',
    headers: { ...authHeaders(token), 'content-type': 'application/json' },
    body: JSON.stringify({}),
  });
}
