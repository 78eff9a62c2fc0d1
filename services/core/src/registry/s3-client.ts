// A minio client for the configured S3 endpoint (MinIO, any S3 service, or the embedded server).
import { Client } from 'minio';
import type { Config } from '../config.js';

export type S3Settings = Pick<Config, 'S3_ENDPOINT' | 'S3_ACCESS_KEY' | 'S3_SECRET_KEY' | 'S3_REGION'>;

export function createS3Client(settings: S3Settings): Client {
  const url = new URL(settings.S3_ENDPOINT);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: settings.S3_ACCESS_KEY,
    secretKey: settings.S3_SECRET_KEY,
    region: settings.S3_REGION,
    // Bucket in the path: works with an IP address endpoint and with the embedded server.
    pathStyle: true,
  });
}
