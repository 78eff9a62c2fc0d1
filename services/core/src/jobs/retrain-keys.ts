// Deterministic job ids: the same upload and options find the same job.

/** Same upload and epochs give the same job id, so a repeated upload finds its job. */
export function retrainJobId(uploadSha256: string, epochs: number): string {
  // BullMQ refuses ':' in custom ids and integer-looking ids; a hex prefix and a suffix are neither.
  return `${uploadSha256.slice(0, 32)}-e${epochs}`;
}
