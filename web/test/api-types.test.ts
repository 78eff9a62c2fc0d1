// The committed API types (web/src/api/schema.d.ts) match what the gateway's OpenAPI document
// generates now, so a change to a route's schemas cannot leave the dashboard typed against the old API.
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { API_TYPES_FILE, generateApiTypes } from '../scripts/api-types.js';

describe('generated API types', () => {
  test('when the types are regenerated from the gateway routes, then they equal the committed schema.d.ts', async () => {
    const committed = await readFile(API_TYPES_FILE, 'utf8');
    const generated = await generateApiTypes();
    // On failure, run `pnpm --filter @visionops/web generate:api` and commit web/src/api/schema.d.ts.
    expect(committed === generated, 'web/src/api/schema.d.ts is out of date: run generate:api').toBe(true);
  }, 60_000);
});
