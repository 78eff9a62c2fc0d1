// Serves the built dashboard (web/dist) at / when it has been built; without a build the API runs
// alone and / answers the usual 404. Hashed assets are cached for good, index.html never.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { repoRoot } from '@visionops/core';

export const DASHBOARD_DIR = join(repoRoot, 'web', 'dist');

export function dashboardRoutes(dir: string = DASHBOARD_DIR): Router {
  const router = Router();
  if (!existsSync(join(dir, 'index.html'))) return router;
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }),
  );
  // The dashboard routes by URL hash, so GET / is its only page.
  router.get('/', (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(join(dir, 'index.html'));
  });
  return router;
}
