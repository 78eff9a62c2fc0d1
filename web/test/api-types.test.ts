// The committed API types (web/src/api/schema.d.ts) match what the gateway's OpenAPI document
// generates now, so a change to a route's schemas cannot leave the dashboard typed against the old API.
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { API_TYPES_FILE, generateApiTypes, hoistDefinitions } from '../scripts/api-types.js';

describe('generated API types', () => {
  test('when the types are regenerated from the gateway routes, then they equal the committed schema.d.ts', async () => {
    const committed = await readFile(API_TYPES_FILE, 'utf8');
    const generated = await generateApiTypes();
    // On failure, run `pnpm --filter @visionops/web generate:api` and commit web/src/api/schema.d.ts.
    expect(committed === generated, 'web/src/api/schema.d.ts is out of date: run generate:api').toBe(true);
  }, 60_000);

  test('when schemas carry local $defs, then they move to components.schemas and their references follow', () => {
    const error = { type: 'object', properties: { code: { type: 'string' } } };
    const document = {
      openapi: '3.1.0',
      paths: {
        '/a': { get: { schema: { $ref: '#/$defs/Error', $defs: { Error: error } } } },
        '/b': { get: { schema: { items: { $ref: '#/$defs/Error' }, $defs: { Error: error } } } },
      },
    };
    expect(hoistDefinitions(document)).toEqual({
      openapi: '3.1.0',
      paths: {
        '/a': { get: { schema: { $ref: '#/components/schemas/Error' } } },
        '/b': { get: { schema: { items: { $ref: '#/components/schemas/Error' } } } },
      },
      components: { schemas: { Error: error } },
    });
    const clash = { paths: { '/c': { get: { schema: { $defs: { Error: { type: 'string' } } } } } } };
    expect(() => hoistDefinitions({ ...document, ...clash, more: document.paths })).toThrow(
      /two different schemas are named Error/,
    );
  });
});
