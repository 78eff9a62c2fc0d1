// How long the HTTP server lets a client take to send its request: what cuts off a slowloris client
// that opens connections and trickles headers or a body to hold them.
import type { ServerOptions } from 'node:http';
import type { Config } from '@visionops/core';

/** Headers are a few hundred bytes: no honest client needs longer than this to send them. */
const HEADERS_TIMEOUT_MS = 20_000;
/** Node checks its connections against the timeouts this often (its default of 30 s would add up to that). */
const CHECK_INTERVAL_MS = 1000;

/**
 * REQUEST_TIMEOUT_MS bounds the whole request, body included, and so has to fit the largest
 * upload on a slow link: the default 10 minutes carries a 200 MiB retrain ZIP at 350 KB/s
 * (about 2.8 Mbit/s up). A slower uploader gets 408 and should split the upload, or the operator
 * raises it. Only the arrival of the request is timed; the work after it (decoding, storing) is not.
 */
export function serverTimeouts(config: Pick<Config, 'REQUEST_TIMEOUT_MS'>): ServerOptions {
  return {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS),
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, config.REQUEST_TIMEOUT_MS),
  };
}
