// Vitest global setup: says once, at the start of the run, which engine the services and tests
// get on this machine (ML_BACKEND, else auto), and why each engine before it was passed over, so
// a run with and a run without libdnnl-dev read differently.
import { loadConfig } from '../src/config.js';
import { initBackend } from '../src/engine/backend.js';

export default async function announceEngine(): Promise<void> {
  const preference = loadConfig({ ...process.env }).ML_BACKEND;
  const choice = await initBackend(preference);
  const skipped = choice.skipped.map((skip) => `${skip.backend}: ${skip.reason}`).join('; ');
  console.log(
    `[engine] ML_BACKEND=${preference}: the suite runs on ${choice.name}` +
      (skipped ? ` (passed over: ${skipped})` : ''),
  );
}
