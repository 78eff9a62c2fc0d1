// An S3-compatible server in this process (s3rver), with its objects as files under DATA_DIR/s3,
// for running the stack without MinIO. It checks access keys but not V4 signatures: a local
// convenience, not a security boundary (deployments use MinIO).
import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';

export interface EmbeddedS3Options {
  directory: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  accessKey: string;
  secretKey: string;
}

export interface EmbeddedS3 {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  mkdirSync(options.directory, { recursive: true });
  // s3rver knows one key pair (S3RVER/S3RVER) unless told more; accept the configured one too.
  DUMMY_ACCOUNT.createKeyPair(options.accessKey, options.secretKey);
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port,
    directory: options.directory,
    // It logs every request; the services log what matters.
    silent: true,
    // Bucket names go in the path: the client talks to an IP address, not to bucket subdomains.
    vhostBuckets: false,
  });
  const address = await server.run();
  return {
    endpoint: `http://${host}:${address.port}`,
    stop: async () => {
      const closed = server.close();
      // close() alone keeps serving kept-alive client connections (a polling client never lets
      // them go idle), so it could wait for ever and S3 would not really be gone.
      server.httpServer?.closeAllConnections();
      await closed;
    },
  };
}
