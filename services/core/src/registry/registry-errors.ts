// Typed failures of the registry, so callers (HTTP routes, the trainer) can tell "no such thing"
// from a storage fault without parsing S3 messages.

/** The object (a model version, an upload) does not exist. */
export class NotFoundError extends Error {
  constructor(
    readonly what: 'model_version' | 'object',
    readonly id: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export function modelVersionNotFound(version: string): NotFoundError {
  return new NotFoundError('model_version', version, `model version ${version} does not exist`);
}

/** True for the S3 errors that mean "no such key" (as opposed to a storage fault). */
export function isNoSuchKey(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'NoSuchKey' || code === 'NotFound';
}
