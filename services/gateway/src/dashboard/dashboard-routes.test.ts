// The dashboard is served from its build directory when there is one, and absent otherwise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, describe, expect, test } from 'vitest';
import { dashboardRoutes } from './dashboard-routes.js';

const dir = mkdtempSync(join(tmpdir(), 'visionops-dashboard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function get(
  buildDir: string,
  path: string,
): Promise<{ status: number; body: string; cache: string | null }> {
  const app = express();
  app.use(dashboardRoutes(buildDir));
  app.use((_req, res) => void res.status(404).send('not found'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return {
      status: response.status,
      body: await response.text(),
      cache: response.headers.get('cache-control'),
    };
  } finally {
    server.close();
  }
}

describe('dashboard routes', () => {
  test('when the dashboard is built, then / answers its index.html and /assets its files', async () => {
    const built = join(dir, 'dist');
    mkdirSync(join(built, 'assets'), { recursive: true });
    writeFileSync(join(built, 'index.html'), '<!doctype html><title>dashboard</title>');
    writeFileSync(join(built, 'assets', 'index-abc.js'), 'console.log(1)');

    const page = await get(built, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>dashboard</title>');
    expect(page.cache).toBe('no-cache');
    const asset = await get(built, '/assets/index-abc.js');
    expect(asset.status).toBe(200);
    expect(asset.cache).toContain('immutable');
    expect((await get(built, '/assets/missing.js')).status).toBe(404);
    expect((await get(built, '/other')).body).toBe('not found');
  });

  test('when the dashboard is not built, then / falls through to the next handler', async () => {
    const page = await get(join(dir, 'nothing-here'), '/');
    expect(page.status).toBe(404);
    expect(page.body).toBe('not found');
  });
});
