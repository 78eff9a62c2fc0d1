// Names S3 in a network error from the object store, so a job that fails for good while S3 is away
// says why in its failedReason instead of a bare "connect ECONNREFUSED 10.0.0.5:9000". It stays a
// plain (retryable) error: S3 coming back is what a retry waits for.

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export class S3UnreachableError extends Error {
  override name = 'S3UnreachableError';
}

/**
 * The S3 form of `error` when it is a network error towards `endpoint`, else undefined. An error
 * that names another port (Redis, say) is not S3's.
 */
export function asS3Unreachable(error: unknown, endpoint: string): S3UnreachableError | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, port } = error as { code?: unknown; port?: unknown };
  if (typeof code !== 'string' || !NETWORK_ERROR_CODES.has(code)) return undefined;
  const url = new URL(endpoint);
  const s3Port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (typeof port === 'number' && port !== s3Port) return undefined;
  return new S3UnreachableError(`S3 could not be reached at ${endpoint}: ${error.message}`, {
    cause: error,
  });
}
