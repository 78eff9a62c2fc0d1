// Generates the dashboard's API types (web/src/api/schema.d.ts) with openapi-typescript from the
// gateway's OpenAPI document, built in-process from the routes' declarations (no server needed).
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import gatewayPackage from '../../services/gateway/package.json' with { type: 'json' };
import { gatewayOpenApiDocument } from '../../services/gateway/src/api/openapi-document.js';

export const API_TYPES_FILE = join(import.meta.dirname, '..', 'src', 'api', 'schema.d.ts');

const HEADER =
  '// The gateway API as TypeScript types, generated from its OpenAPI document by\n' +
  '// `pnpm --filter @visionops/web generate:api`: do not edit (web/test/api-types.test.ts checks it is current).\n';

type Json = unknown;

/**
 * zod writes a named schema as a `$defs` entry local to each schema that uses it, with a
 * `#/$defs/Name` reference that JSON Schema resolves against that schema but OpenAPI tools resolve
 * against the document root. Moving every such definition to `components.schemas` makes the
 * references resolvable and gives each named schema one type.
 */
export function hoistDefinitions(document: Record<string, unknown>): Record<string, unknown> {
  const schemas: Record<string, Json> = {};
  const rewrite = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$defs') {
        for (const [name, definition] of Object.entries(inner as Record<string, Json>)) {
          const hoisted = rewrite(definition);
          if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(hoisted)) {
            throw new Error(`two different schemas are named ${name} in the OpenAPI document`);
          }
          schemas[name] = hoisted;
        }
      } else if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
        out[key] = `#/components/schemas/${inner.slice('#/$defs/'.length)}`;
      } else {
        out[key] = rewrite(inner);
      }
    }
    return out;
  };
  const hoisted = rewrite(document) as Record<string, unknown>;
  const components = (hoisted.components ?? {}) as Record<string, unknown>;
  const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return { ...hoisted, components: { ...components, schemas: sorted } };
}

/** The contents schema.d.ts should have, formatted as Prettier would leave it. */
export async function generateApiTypes(): Promise<string> {
  const document = hoistDefinitions(await gatewayOpenApiDocument(gatewayPackage.version));
  const ast = await openapiTS(document as unknown as OpenAPI3, { silent: true });
  const source = HEADER + astToString(ast);
  const options = await resolveConfig(API_TYPES_FILE);
  return format(source, { ...options, filepath: API_TYPES_FILE });
}
