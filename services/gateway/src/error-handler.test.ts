// The error handler decides what a client may see: 4xx and 503 messages as written, other 5xx only a
// request id.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, test } from 'vitest';
import { createLogger } from '@visionops/core';
import { AppError } from './app-error.js';
import { errorHandler } from './error-handler.js';
import { requestContext } from './request-context.js';

async function respond(fault: unknown): Promise<{ status: number; body: string; requestId: string | null }> {
  const app = express();
  app.use(requestContext(createLogger('test', { level: 'silent' })));
  app.get('/fail', () => {
    throw fault;
  });
  app.use(errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/fail`);
    return {
      status: response.status,
      body: await response.text(),
      requestId: response.headers.get('x-request-id'),
    };
  } finally {
    server.close();
  }
}

describe('errorHandler', () => {
  test('when a route throws a 4xx AppError, then the client gets its code and message', async () => {
    const { status, body } = await respond(
      new AppError('invalid_epochs', 'epochs must be between 1 and 50', 422),
    );
    expect(status).toBe(422);
    expect(JSON.parse(body)).toEqual({
      error: { code: 'invalid_epochs', message: 'epochs must be between 1 and 50' },
    });
  });

  test('when a route throws an unknown error, then 500 names the request id and hides the details', async () => {
    const { status, body, requestId } = await respond(new Error('secret database password in here'));
    expect(status).toBe(500);
    const parsed = JSON.parse(body) as { error: { code: string; message: string; requestId: string } };
    expect(parsed.error.code).toBe('internal_error');
    expect(parsed.error.requestId).toBe(requestId);
    expect(parsed.error.message).toContain(requestId);
    expect(body).not.toMatch(/secret|at \w+ \(|\.ts:\d+/);
  });

  test('when a route throws a 5xx AppError other than 503, then its code is kept but its message is not shown', async () => {
    const { status, body, requestId } = await respond(
      new AppError('publish_failed', 'S3 said: bucket policy xyz', 502),
    );
    expect(status).toBe(502);
    const parsed = JSON.parse(body) as { error: { code: string; message: string; requestId: string } };
    expect(parsed.error.code).toBe('publish_failed');
    expect(parsed.error.requestId).toBe(requestId);
    expect(parsed.error.message).not.toContain('bucket policy');
  });

  test('when a route throws a 503 AppError, then the client gets its message (a state to wait out), not a fault to report', async () => {
    const { status, body } = await respond(
      new AppError('model_not_ready', 'no model is loaded yet; retry in a few seconds', 503, {
        cause: new Error('S3 said: bucket policy xyz'),
      }),
    );
    expect(status).toBe(503);
    expect(JSON.parse(body)).toEqual({
      error: { code: 'model_not_ready', message: 'no model is loaded yet; retry in a few seconds' },
    });
  });

  test('when something throws a non-Error value, then it is still a JSON 500', async () => {
    const { status, body } = await respond('a bare string');
    expect(status).toBe(500);
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe('internal_error');
  });
});
