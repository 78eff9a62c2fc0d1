// docs/api.md is the gateway's OpenAPI document rendered as Markdown: a route whose schemas or
// docs change cannot leave the reference describing the old API.
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { API_REFERENCE_FILE, apiReferenceMarkdown } from '../src/api/api-reference.js';

describe('API reference page', () => {
  test('when it is rendered from the current routes, then it equals the committed docs/api.md', async () => {
    const committed = await readFile(API_REFERENCE_FILE, 'utf8');
    const rendered = await apiReferenceMarkdown();
    expect(committed === rendered, 'docs/api.md is out of date: run npm run docs:api').toBe(true);
    for (const route of [
      'POST /predict',
      'POST /models/import',
      'GET /models/{version}/export',
      'POST /v2/models/{model}/infer',
    ]) {
      expect(rendered).toContain(`### \`${route}\``);
    }
  }, 60_000);
});
