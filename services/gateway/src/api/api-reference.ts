// Renders the gateway's OpenAPI document as Markdown (docs/api.md): one section per tag, each route
// with its summary, whether it is an admin route, its parameters, body fields and responses. The
// document is the source; `npm run docs:api` rewrites the page, and a test fails when it is stale.
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { repoRoot } from '@visionops/core';
import gatewayPackage from '../../package.json' with { type: 'json' };
import { gatewayOpenApiDocument } from './openapi-document.js';

type Json = Record<string, unknown>;

interface Operation {
  summary: string;
  tags: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Json }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { description: string }>;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function schemaType(schema: Json | undefined, components: Json): string {
  if (!schema) return '';
  const ref = schema.$ref;
  if (typeof ref === 'string') return ref.split('/').at(-1)!;
  // Joined with a bare bar: cell() escapes it for the table.
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (Array.isArray(schema.anyOf)) {
    return (schema.anyOf as Json[]).map((option) => schemaType(option, components)).join(' or ');
  }
  if (schema.format === 'binary') return 'file';
  return typeof schema.type === 'string'
    ? schema.type
    : Array.isArray(schema.type)
      ? schema.type.join(' or ')
      : 'any';
}

function resolve(schema: Json, components: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.split('/').at(-1)!;
  return ((components.schemas as Json | undefined)?.[name] as Json | undefined) ?? schema;
}

function bodyFields(operation: Operation, components: Json): string[] {
  const [contentType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
  if (!contentType || !media) return [];
  const schema = resolve(media.schema, components);
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const names = Object.keys(properties);
  if (names.length === 0) return [`Body: \`${contentType}\`.`, ''];
  return [
    `Body (\`${contentType}\`):`,
    '',
    '| field | type | required | description |',
    '| --- | --- | --- | --- |',
    ...names.map((name) => {
      const field = properties[name]!;
      const description = typeof field.description === 'string' ? field.description : '';
      return `| \`${name}\` | ${cell(schemaType(field, components))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(description)} |`;
    }),
    '',
  ];
}

export function renderApiReference(document: Json): string {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const components = (document.components ?? {}) as Json;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const lines = [`### \`${method.toUpperCase()} ${path}\``, '', operation.summary, ''];
      if (operation.security)
        lines.push('Admin route: `Authorization: Bearer <ADMIN_TOKEN>` when `ADMIN_TOKEN` is set.', '');
      if (operation.parameters?.length) {
        lines.push('| parameter | in | type | required | description |', '| --- | --- | --- | --- | --- |');
        for (const parameter of operation.parameters) {
          const description = parameter.description ?? parameter.schema.description;
          lines.push(
            `| \`${parameter.name}\` | ${parameter.in} | ${cell(schemaType(parameter.schema, components))} | ${parameter.required ? 'yes' : 'no'} | ${cell(typeof description === 'string' ? description : '')} |`,
          );
        }
        lines.push('');
      }
      lines.push(...bodyFields(operation, components));
      lines.push('| status | meaning |', '| --- | --- |');
      for (const [status, response] of Object.entries(operation.responses)) {
        lines.push(`| ${status} | ${cell(response.description)} |`);
      }
      lines.push('');
      const tag = operation.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...lines]);
    }
  }
  const info = document.info as { title: string; description: string };
  return [
    '# HTTP API reference',
    '',
    "<!-- Generated from the gateway's OpenAPI document by `npm run docs:api`; do not edit by hand. -->",
    '',
    `${info.description} The same document is served by a running gateway at \`/openapi.json\` (and as a page at \`/docs\`).`,
    '',
    ...[...byTag.keys()].map(
      (tag) =>
        `- [${tag}](#${tag
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-')})`,
    ),
    '',
    ...[...byTag.entries()].flatMap(([tag, lines]) => [`## ${tag}`, '', ...lines]),
  ].join('\n');
}

export const API_REFERENCE_FILE = join(repoRoot, 'docs', 'api.md');

/** The contents docs/api.md should have: the current routes, formatted as Prettier leaves them. */
export async function apiReferenceMarkdown(): Promise<string> {
  const markdown = renderApiReference(await gatewayOpenApiDocument(gatewayPackage.version));
  const options = await resolveConfig(API_REFERENCE_FILE);
  return format(markdown, { ...options, filepath: API_REFERENCE_FILE });
}
