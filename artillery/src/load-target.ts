// Where the load goes: TARGET when set (only this machine: 127.0.0.1, localhost or ::1, so a load
// test can never be pointed at someone else's service), else nothing and the driver starts a stack.
import { loadConfig } from '@visionops/core';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface LoadTarget {
  /** The gateway's base URL without a trailing slash, or undefined to start a local stack. */
  target: string | undefined;
  /** ADMIN_TOKEN of the target, for POST /retrain and promote. */
  adminToken: string | undefined;
}

export function loadTarget(env: NodeJS.ProcessEnv): LoadTarget {
  const config = loadConfig(env);
  if (!config.TARGET) return { target: undefined, adminToken: undefined };
  const url = new URL(config.TARGET);
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new Error(
      `TARGET=${config.TARGET}: load tests run against this machine only (127.0.0.1, localhost or [::1])`,
    );
  }
  return { target: url.origin, adminToken: config.ADMIN_TOKEN };
}
