import { describe, expect, test } from 'vitest';
import { asS3Unreachable, S3UnreachableError } from './s3-unreachable.js';

function networkError(code: string, port?: number): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:${port ?? 0}`), {
    code,
    ...(port === undefined ? {} : { port }),
  });
}

describe('asS3Unreachable', () => {
  test('when the connection to the S3 endpoint is refused, then the error names S3 and keeps the cause', () => {
    const cause = networkError('ECONNREFUSED', 9000);
    const error = asS3Unreachable(cause, 'http://127.0.0.1:9000');
    expect(error).toBeInstanceOf(S3UnreachableError);
    expect(error?.message).toBe(
      'S3 could not be reached at http://127.0.0.1:9000: connect ECONNREFUSED 127.0.0.1:9000',
    );
    expect(error?.cause).toBe(cause);
  });

  test('when a network error carries no port, then it counts as S3 (default ports too)', () => {
    expect(asS3Unreachable(networkError('ECONNRESET'), 'https://s3.example.com')).toBeDefined();
    expect(asS3Unreachable(networkError('ETIMEDOUT', 443), 'https://s3.example.com')).toBeDefined();
  });

  test('when the error is towards another port, or not a network error, then it is left alone', () => {
    expect(asS3Unreachable(networkError('ECONNREFUSED', 6379), 'http://127.0.0.1:9000')).toBeUndefined();
    expect(asS3Unreachable(new Error('bad digest'), 'http://127.0.0.1:9000')).toBeUndefined();
    expect(asS3Unreachable('ECONNREFUSED', 'http://127.0.0.1:9000')).toBeUndefined();
  });
});
