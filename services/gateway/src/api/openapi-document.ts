// Builds the OpenAPI 3.1 document from the routes' own declarations (RouteDoc): zod 4 turns each
// schema into JSON Schema, which OpenAPI 3.1 uses as it is.
import { z } from 'zod';
import { errorBodySchema } from '@visionops/core/contract';
import { hoistDefinitions } from './openapi-definitions.js';
import type { RouteDoc } from './route-docs.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonSchema {
  // io 'input': a request schema describes what the client sends (before defaults and transforms).
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    reused: 'inline',
  }) as JsonSchema;
  return rest;
}

function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function operation(route: RouteDoc): Record<string, unknown> {
  const parameterList = (location: 'path' | 'query', shape: z.ZodObject | undefined) =>
    Object.entries(shape?.shape ?? {}).map(([name, schema]) => ({
      name,
      in: location,
      required: location === 'path' || !(schema as z.ZodType).safeParse(undefined).success,
      schema: jsonSchema(schema as z.ZodType),
    }));
  const allParameters = [...parameterList('path', route.params), ...parameterList('query', route.query)];
  const parameters = allParameters.length > 0 ? allParameters : undefined;
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => {
      const schema = response.schema ?? (Number(status) >= 400 ? errorBodySchema : undefined);
      return [
        status,
        {
          description: response.description,
          ...(schema && {
            content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(schema) } },
          }),
        },
      ];
    }),
  );
  if (route.admin) {
    responses['401'] ??= {
      description: 'no bearer token (when ADMIN_TOKEN is set)',
      content: { 'application/json': { schema: jsonSchema(errorBodySchema) } },
    };
    responses['403'] ??= {
      description: 'wrong bearer token',
      content: { 'application/json': { schema: jsonSchema(errorBodySchema) } },
    };
  }
  return {
    summary: route.summary,
    tags: [route.tag],
    operationId: `${route.method}${openApiPath(route.path).replace(/[^\w]+(\w)?/g, (_, c?: string) => (c ?? '').toUpperCase())}`,
    ...(parameters && { parameters }),
    ...(route.body && {
      requestBody: {
        required: route.body.required,
        content: { [route.body.contentType]: { schema: jsonSchema(route.body.schema) } },
      },
    }),
    ...(route.admin && { security: [{ adminToken: [] }] }),
    responses,
  };
}

export function buildOpenApiDocument(routes: readonly RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return hoistDefinitions({
    openapi: '3.1.0',
    info: {
      title: 'visionops gateway',
      version,
      description:
        'CIFAR-10 image classification: synchronous predictions, the model registry, health and metrics. ' +
        'Errors are JSON {"error": {"code", "message"}}; the Open Inference Protocol routes under /v2 answer ' +
        'theirs as that protocol does, {"error": "<message>"}.',
    },
    paths,
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } },
    },
  });
}

/**
 * The gateway's whole document built in-process, without Redis, S3 or a server: the dashboard
 * generates its API types from it. The route list is imported lazily because openapi-routes.ts
 * imports this file and the route modules would otherwise load with it; it is the list app.ts
 * serves, and web/test checks that the running gateway's /openapi.json matches this document.
 */
export async function gatewayOpenApiDocument(version: string): Promise<Record<string, unknown>> {
  const [{ gatewayRouteDocs }, { openApiRouteDocs }] = await Promise.all([
    import('./gateway-route-docs.js'),
    import('./openapi-routes.js'),
  ]);
  return buildOpenApiDocument([...gatewayRouteDocs, ...openApiRouteDocs], version);
}
