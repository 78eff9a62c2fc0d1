// GET /openapi.json (the OpenAPI document, built once from the routes' declarations) and GET /docs
// (the same document as a plain HTML page).
import { Router } from 'express';
import { renderApiDocsPage } from './api-docs-page.js';
import { buildOpenApiDocument } from './openapi-document.js';
import type { RouteDoc } from './route-docs.js';

export const openApiRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'documentation',
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: { description: 'the OpenAPI document' } },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'documentation',
    summary: 'This API as an HTML page',
    responses: { 200: { description: 'an HTML page', contentType: 'text/html' } },
  },
];

export function openApiRoutes(routes: readonly RouteDoc[], version: string): Router {
  const document = buildOpenApiDocument([...routes, ...openApiRouteDocs], version);
  const page = renderApiDocsPage(document);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  return router;
}
