// Loads the oneDNN addon built at install, or says why it is not available.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const buildDir = join(dirname(fileURLToPath(import.meta.url)), 'build');
const require = createRequire(import.meta.url);

function installReason() {
  try {
    const status = JSON.parse(readFileSync(join(buildDir, 'status.json'), 'utf8'));
    if (status.reason) return `not built at install: ${status.reason}`;
  } catch {
    // no status: the install step has not run
  }
  return 'not built (the install step of @visionops/engine-native has not run; run npm run setup)';
}

/** @returns {{ addon: import('./index.js').OnednnAddon } | { reason: string }} */
export function loadOnednnAddon() {
  const file = join(buildDir, 'Release', 'visionops_onednn.node');
  if (!existsSync(file)) return { reason: installReason() };
  // libgomp reads its wait policy once, when the addon loads it. Passive (sleep, do not spin, when
  // idle) unless the environment says otherwise: measured on shared cores, spinning OpenMP teams
  // lose far more than they gain (see docs/architecture.md, ML engine).
  process.env.OMP_WAIT_POLICY ??= 'passive';
  try {
    return { addon: require(file) };
  } catch (error) {
    return { reason: `built but does not load: ${String(error?.message ?? error).split('\n')[0]}` };
  }
}
