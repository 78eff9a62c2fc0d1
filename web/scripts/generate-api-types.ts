// Writes web/src/api/schema.d.ts from the gateway's OpenAPI document (`pnpm --filter
// @visionops/web generate:api`); run it after changing a route's schemas or RouteDocs.
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { API_TYPES_FILE, generateApiTypes } from './api-types.js';

await writeFile(API_TYPES_FILE, await generateApiTypes());
console.log(`wrote ${relative(process.cwd(), API_TYPES_FILE)}`);
