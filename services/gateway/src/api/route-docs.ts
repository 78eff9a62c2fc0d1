// What each route declares about itself for the OpenAPI document: the same schemas it validates
// requests with, and the responses it can give.
import type { z } from 'zod';

export interface RouteResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** application/json by default. */
  contentType?: string;
}

export interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  /** Express-style path (`/models/:version`). */
  path: string;
  summary: string;
  tag: string;
  /** Requires `Authorization: Bearer <ADMIN_TOKEN>` when ADMIN_TOKEN is set. */
  admin?: boolean;
  params?: z.ZodObject;
  /** Query-string parameters, validated with the same schema. */
  query?: z.ZodObject;
  body?: { contentType: 'application/json' | 'multipart/form-data'; schema: z.ZodType; required: boolean };
  responses: Record<number, RouteResponseDoc>;
}
