// Security headers on every response (helmet), with a Content-Security-Policy as strict as the
// dashboard (web/dist: external script and stylesheet only) and the /docs page allow.
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { renderApiDocsPage } from '../api/api-docs-page.js';

/**
 * CSP hash sources for the inline <style> blocks of the /docs page. The page is self-contained (no
 * stylesheet to fetch), so its one style block is allowed by hash instead of 'unsafe-inline'; the
 * stylesheet does not depend on the document, so an empty one renders the same block.
 */
export function docsPageStyleHashes(): string[] {
  const page = renderApiDocsPage({ info: { title: '', version: '', description: '' }, paths: {} });
  return [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`,
  );
}

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", ...docsPageStyleHashes()],
        // data: for the dashboard's empty favicon, blob: for its previews of images chosen to upload.
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // No upgrade-insecure-requests: a self-hosted gateway is often reached over plain HTTP, and
        // the upgrade would send the dashboard's own asset requests to an HTTPS port that is not there.
      },
    },
    frameguard: { action: 'deny' },
    // HSTS only means something over HTTPS, which a TLS-terminating proxy in front decides on.
    strictTransportSecurity: false,
  });
}
