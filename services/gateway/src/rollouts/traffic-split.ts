// Which version answers a request during a canary: a stable hash of the client key, so a given
// client always sees the same version while the rollout lasts, and `percent` of clients see the
// candidate. The key is the `x-client-id` header when sent, else the client address.
import { createHash } from 'node:crypto';
import type { Request } from 'express';

export const CLIENT_ID_HEADER = 'x-client-id';
const MAX_CLIENT_ID_LENGTH = 128;

/** The key a client is split by: its `x-client-id` (trimmed, at most 128 characters) or its address. */
export function clientKeyOf(req: Request): string {
  const id = req.get(CLIENT_ID_HEADER)?.trim();
  if (id) return `id:${id.slice(0, MAX_CLIENT_ID_LENGTH)}`;
  return `ip:${req.ip ?? 'unknown'}`;
}

/**
 * The client's place in [0, 100): uniform over clients and fixed for a given salt. The salt is the
 * candidate version, so widening a canary of the same candidate keeps its first clients on it.
 */
export function clientPosition(clientKey: string, salt: string): number {
  const digest = createHash('sha256').update(salt).update('\0').update(clientKey).digest();
  return (digest.readUInt32BE(0) / 2 ** 32) * 100;
}

export function servesCandidate(clientKey: string, candidate: string, percent: number): boolean {
  return clientPosition(clientKey, candidate) < percent;
}
