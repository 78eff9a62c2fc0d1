// The gateway's HTTP basics (request ids, JSON 404 and errors, several servers in one process),
// served by the real server in-process on a free port.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '@visionops/core';
import { startWebServer } from '../src/web-server.js';
import { startTestGateway, type TestGateway } from './test-gateway.js';

let gateway: TestGateway;
let baseUrl: string;

beforeAll(async () => {
  gateway = await startTestGateway({ withModel: false });
  baseUrl = gateway.url;
});
afterAll(async () => {
  await gateway.stop();
});

describe('gateway HTTP server', () => {
  test('when GET /health, then 200 with status ok and a request id header', async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('when the caller sends x-request-id, then the response carries the same id', async () => {
    const response = await fetch(`${baseUrl}/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(response.headers.get('x-request-id')).toBe('trace-42');
  });

  test('when x-request-id is not a sane id, then a new one replaces it', async () => {
    const response = await fetch(`${baseUrl}/health`, { headers: { 'x-request-id': 'a b <script>' } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('when the route does not exist, then 404 with a JSON error naming the route', async () => {
    const response = await fetch(`${baseUrl}/no/such/route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: expect.stringContaining('GET /no/such/route') as string },
    });
  });

  test('when the JSON body is malformed, then 400 invalid_json says what is wrong', async () => {
    const response = await fetch(`${baseUrl}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"epochs": ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_json');
    expect(body.error.message).toMatch(/not valid JSON/);
  });

  test('when a second server starts in the same process, then both answer, each with its own gateway, and stopping one leaves the other', async () => {
    const second = await startWebServer(gateway.gateway.config, createLogger('second', { level: 'silent' }), {
      modelsChannel: gateway.storage.channel,
    });
    try {
      expect(second.url).not.toBe(baseUrl);
      expect(second.gateway).not.toBe(gateway.gateway);
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    } finally {
      await second.stop(1000);
    }
    await expect(fetch(`${second.url}/health`)).rejects.toThrow();
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
  });
});
