// `npm run docs:api`: rewrites docs/api.md from the gateway's routes; run it after changing a
// route's schemas or RouteDocs (services/gateway/test/api-reference.test.ts fails until you do).
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { API_REFERENCE_FILE, apiReferenceMarkdown } from '../api/api-reference.js';

await writeFile(API_REFERENCE_FILE, await apiReferenceMarkdown());
console.log(`wrote ${relative(process.cwd(), API_REFERENCE_FILE)}`);
