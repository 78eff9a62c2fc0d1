// The S3 side of the stack: a client for the chosen endpoint and the bucket every service uses.
import type { Client } from 'minio';
import { createS3Client as createClientFromConfig } from '@visionops/core/registry';

export interface S3Settings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** The services' own client, so the launcher talks to S3 exactly as they will. */
export function createS3Client(settings: S3Settings): Client {
  return createClientFromConfig({
    S3_ENDPOINT: settings.endpoint,
    S3_ACCESS_KEY: settings.accessKey,
    S3_SECRET_KEY: settings.secretKey,
    S3_REGION: settings.region,
  });
}

/** Creates the bucket when it is missing; a wrong endpoint or key fails here with S3's reason. */
export async function ensureBucket(settings: S3Settings, bucket: string): Promise<'found' | 'created'> {
  const client = createS3Client(settings);
  if (await client.bucketExists(bucket)) return 'found';
  await client.makeBucket(bucket, settings.region);
  return 'created';
}
