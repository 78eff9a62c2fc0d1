// Generates the dashboard's API types (web/src/api/schema.d.ts) with openapi-typescript from the
// gateway's OpenAPI document, built in-process from the routes' declarations (no server needed).
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import gatewayPackage from '@visionops/gateway/package.json' with { type: 'json' };
import { gatewayOpenApiDocument } from '@visionops/gateway/openapi-document';

export const API_TYPES_FILE = join(import.meta.dirname, '..', 'src', 'api', 'schema.d.ts');

const HEADER =
  '// The gateway API as TypeScript types, generated from its OpenAPI document by\n' +
  '// `pnpm --filter @visionops/web generate:api`: do not edit (web/test/api-types.test.ts checks it is current).\n';

/** The contents schema.d.ts should have, formatted as Prettier would leave it. */
export async function generateApiTypes(): Promise<string> {
  const document = await gatewayOpenApiDocument(gatewayPackage.version);
  const ast = await openapiTS(document as unknown as OpenAPI3, { silent: true });
  const source = HEADER + astToString(ast);
  const options = await resolveConfig(API_TYPES_FILE);
  return format(source, { ...options, filepath: API_TYPES_FILE });
}
