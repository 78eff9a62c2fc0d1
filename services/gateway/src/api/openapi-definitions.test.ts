// The OpenAPI document's schema definitions live in components.schemas, where OpenAPI tools look,
// and every reference in the gateway's own document resolves.
import { describe, expect, test } from 'vitest';
import { hoistDefinitions } from './openapi-definitions.js';
import { gatewayOpenApiDocument } from './openapi-document.js';

function references(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) references(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else references(inner, found);
    }
  }
  return found;
}

describe('OpenAPI schema definitions', () => {
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

  test('when the gateway builds its document, then every $ref points into components.schemas and resolves', async () => {
    const document = await gatewayOpenApiDocument('test');
    const schemas = (document.components as { schemas?: Record<string, unknown> }).schemas ?? {};
    const refs = references(document);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(schemas).toHaveProperty([ref.slice('#/components/schemas/'.length)]);
    }
    expect(JSON.stringify(document)).not.toContain('$defs');
  });
});
