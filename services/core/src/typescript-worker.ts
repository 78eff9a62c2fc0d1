// Starts a worker thread from a module of this workspace, named by its compiled `.js` path next to
// the caller. In production (`npm run build`, the Docker image) that file exists and the thread
// runs it directly. In development only the `.ts` source exists: tsx's loader, which a worker
// does not inherit, is registered in the thread first, then the source is imported.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The module a thread runs: `module` when it exists, else its TypeScript source beside it. */
export function workerEntry(module: URL): { url: URL; typescript: boolean } {
  if (!module.pathname.endsWith('.js')) {
    throw new Error(`a worker module is named by its .js path, got ${module.href}`);
  }
  if (existsSync(fileURLToPath(module))) return { url: module, typescript: false };
  const source = new URL(module.href.replace(/\.js$/, '.ts'));
  if (existsSync(fileURLToPath(source))) return { url: source, typescript: true };
  throw new Error(`no worker module at ${module.href} nor its source ${source.href}`);
}

export function startWorker(module: URL, options: WorkerOptions = {}): Worker {
  const entry = workerEntry(module);
  if (!entry.typescript) return new Worker(entry.url, options);
  // Resolved only here, so production (compiled, without tsx installed) never looks for it.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.url.href)}); })` +
    `.catch((error) => { console.error(error); process.exit(1); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
