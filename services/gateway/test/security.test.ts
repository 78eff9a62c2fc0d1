// The gateway's protections over real HTTP: rate limits shared by two gateways through the real
// Redis, security headers (and a CSP the /docs page works under, in Chromium), the CORS allow-list,
// and logs that never carry the admin token or the S3 secret.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWebServer } from '../src/web-server.js';
import { createLogger, repoRoot, type Config, type Logger } from '@visionops/core';
import { buildClassFolderZip } from '@visionops/testkit';
import { startTestGateway, type TestGateway } from './test-gateway.js';

const ADMIN_TOKEN = 'security-admin-token-0123456789';
const DEAD_S3_SECRET = 'dead-s3-secret-value-0123456789';
const ALLOWED_ORIGIN = 'https://dashboard.example';
const PREDICT_LIMIT = 10;
const RETRAIN_LIMIT = 3;

interface ExtraGateway {
  url: string;
  close(): Promise<void>;
}

/** A second gateway in this process: same Redis, same server. */
async function startExtraGateway(config: Config, logger: Logger, channel: string): Promise<ExtraGateway> {
  const server = await startWebServer(config, logger, { modelsChannel: channel });
  return { url: server.url, close: () => server.stop(1000) };
}

function capturingLogger(lines: string[]): Logger {
  return createLogger('security-test', {
    level: 'trace',
    destination: { write: (line) => void lines.push(line) },
  });
}

const logs: string[] = [];
let first: TestGateway;
let second: ExtraGateway;
let deadS3: ExtraGateway;

beforeAll(async () => {
  first = await startTestGateway({
    env: {
      ADMIN_TOKEN,
      QUEUE_PREFIX: `test-${randomUUID()}`,
      RATE_LIMIT_PREDICT_PER_MINUTE: String(PREDICT_LIMIT),
      RATE_LIMIT_RETRAIN_PER_HOUR: String(RETRAIN_LIMIT),
      CORS_ORIGINS: `${ALLOWED_ORIGIN}, http://localhost:5173`,
    },
    logger: capturingLogger(logs),
  });
  // The second replica believes one proxy hop, as behind docker-compose's nginx.
  second = await startExtraGateway(
    { ...first.gateway.config, TRUST_PROXY: 1 },
    createLogger('second', { level: 'silent' }),
    first.storage.channel,
  );
  // A third with an unreachable S3 and no retrain limit, for the error path of the log check.
  deadS3 = await startExtraGateway(
    {
      ...first.gateway.config,
      QUEUE_PREFIX: `test-${randomUUID()}`,
      RATE_LIMIT_RETRAIN_PER_HOUR: 0,
      CORS_ORIGINS: [],
      S3_ENDPOINT: 'http://127.0.0.1:1',
      S3_SECRET_KEY: DEAD_S3_SECRET,
    },
    capturingLogger(logs),
    first.storage.channel,
  );
});
afterAll(async () => {
  await deadS3?.close();
  await second?.close();
  for (const prefix of [first.gateway.config.QUEUE_PREFIX]) {
    const keys = await first.storage.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await first.storage.redis.del(...keys);
  }
  await first?.stop();
});

interface ErrorBody {
  error: { code: string; message: string };
}

/** A POST /predict without a file: refused with 400 after the limit, so it costs no inference. */
function emptyPredict(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/predict`, { method: 'POST', headers });
}

describe('rate limits across gateways', () => {
  test('when two gateways share Redis, then the /predict limit holds in sum; a 429 says when to retry', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < PREDICT_LIMIT; i++) {
      const response = await emptyPredict(i % 2 === 0 ? first.url : second.url);
      statuses.push(response.status);
      expect(response.headers.get('ratelimit-limit')).toBe(String(PREDICT_LIMIT));
      expect(response.headers.get('ratelimit-remaining')).toBe(String(PREDICT_LIMIT - 1 - i));
      await response.arrayBuffer();
    }
    expect(statuses).toEqual(new Array<number>(PREDICT_LIMIT).fill(400));
    for (const url of [first.url, second.url]) {
      const limited = await emptyPredict(url);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      const { error } = (await limited.json()) as ErrorBody;
      expect(error.code).toBe('rate_limited');
      expect(error.message).toMatch(/at most 10 per minute; retry in \d+ s/);
    }
  });

  test('when /predict is limited, then other routes and other clients (behind a trusted proxy) are not', async () => {
    expect((await emptyPredict(first.url)).status).toBe(429);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    expect((await fetch(`${second.url}/models`)).status).toBe(200);
    expect((await fetch(`${first.url}/jobs`)).status).toBe(200);
    // The second gateway takes the client from X-Forwarded-For (one trusted hop); the first does not.
    const proxied = await emptyPredict(second.url, { 'x-forwarded-for': '203.0.113.7' });
    expect(proxied.status).toBe(400);
    expect(proxied.headers.get('ratelimit-remaining')).toBe(String(PREDICT_LIMIT - 1));
    expect((await emptyPredict(first.url, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(429);
  });

  test('when /retrain is called more than RATE_LIMIT_RETRAIN_PER_HOUR times, then 429, counted before the token check', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= RETRAIN_LIMIT; i++) {
      const response = await fetch(`${i % 2 === 0 ? first.url : second.url}/retrain`, { method: 'POST' });
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('security headers', () => {
  test('when any route answers, then helmet headers are set and the CSP is strict', async () => {
    const response = await fetch(`${first.url}/health`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-powered-by')).toBeNull();
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  test('when /docs is opened in Chromium, then its inline stylesheet applies under the CSP and only an injected style is refused', async () => {
    const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
    if (!existsSync(chromiumPath)) {
      throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium, or set CHROMIUM_PATH`);
    }
    // playwright-core is the dashboard tests' dependency; this test borrows it from web/.
    const { chromium } = createRequire(join(repoRoot, 'web', 'package.json'))('playwright-core') as {
      chromium: ChromiumLauncher;
    };
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const messages: string[] = [];
      page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
      await page.goto(`${first.url}/docs`);
      // The inline stylesheet sets the body's max width (60rem = 960px): it applied.
      const maxWidth = await page.evaluate('getComputedStyle(document.body).maxWidth');
      expect(maxWidth).toBe('960px');
      // An inline style that is not the page's own is refused: the policy does not allow them all.
      await page.evaluate(
        "document.head.insertAdjacentHTML('beforeend', '<style>body{max-width:10px}</style>')",
      );
      expect(await page.evaluate('getComputedStyle(document.body).maxWidth')).toBe('960px');
      expect(messages.filter((m) => /Content Security Policy/.test(m))).toHaveLength(1);
    } finally {
      await browser.close();
    }
  });
});

/** The part of playwright-core's API this file uses. */
interface ChromiumLauncher {
  launch(options: { executablePath: string; args: string[] }): Promise<{
    newPage(): Promise<{
      on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
      goto(url: string): Promise<unknown>;
      evaluate(expression: string): Promise<unknown>;
    }>;
    close(): Promise<void>;
  }>;
}

describe('CORS allow-list', () => {
  test('when an allowed origin calls or preflights, then it gets CORS headers; another origin gets none', async () => {
    const allowed = await fetch(`${first.url}/health`, { headers: { origin: ALLOWED_ORIGIN } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    expect(allowed.headers.get('vary')).toMatch(/Origin/);

    const preflight = await fetch(`${first.url}/retrain`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    for (const origin of ['https://evil.example', 'https://dashboard.example.evil.example', 'null']) {
      const refused = await fetch(`${first.url}/health`, { headers: { origin } });
      expect(refused.status).toBe(200);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const refusedPreflight = await fetch(`${first.url}/retrain`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(refusedPreflight.headers.get('access-control-allow-methods')).toBeNull();
    }
  });

  test('when CORS_ORIGINS is unset, then no origin gets CORS headers', async () => {
    const response = await fetch(`${deadS3.url}/health`, { headers: { origin: ALLOWED_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('logs', () => {
  test('when requests carry the admin token and one fails on S3, then no log line holds the token or the S3 secret', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, cookie: `session=${ADMIN_TOKEN}` };
    const before = logs.length;
    expect((await fetch(`${first.url}/models/v999/promote`, { method: 'POST', headers: admin })).status).toBe(
      404,
    );
    expect((await fetch(`${first.url}/jobs/nope`, { method: 'DELETE', headers: admin })).status).toBe(404);
    const { zip } = await buildClassFolderZip({ perClass: 1 });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(zip)]), 'upload.zip');
    const failed = await fetch(`${deadS3.url}/retrain`, { method: 'POST', headers: admin, body: form });
    expect(failed.status).toBe(503);
    const written = logs.slice(before).join('');
    // The capture works: the requests and the S3 failure (a 503, logged as a warning with its
    // cause) are in it.
    expect(written).toContain('"status":404');
    expect(written).toMatch(/"code":"retraining_unavailable","err":\{/);
    expect(written).toContain('"msg":"the job queue or the storage is unavailable"');
    expect(written).not.toContain(ADMIN_TOKEN);
    expect(written).not.toContain(DEAD_S3_SECRET);
  });
});
