// The S3 side of the stack: a client for the chosen endpoint and the bucket every service uses.
import { Client } from 'minio';

export interface S3Settings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export function createS3Client(settings: S3Settings): Client {
  const url = new URL(settings.endpoint);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    region: settings.region,
    pathStyle: true,
  });
}

/** Creates the bucket when it is missing; a wrong endpoint or key fails here with S3's reason. */
export async function ensureBucket(settings: S3Settings, bucket: string): Promise<'found' | 'created'> {
  const client = createS3Client(settings);
  if (await client.bucketExists(bucket)) return 'found';
  await client.makeBucket(bucket, settings.region);
  return 'created';
}
