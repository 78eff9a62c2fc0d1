// Loads a module of this workspace for a notebook cell through Node's own ESM loader (with tsx
// registered by the kernel). tslab compiles a cell's static imports into CommonJS with its own
// TypeScript, which cannot load these ESM modules (import.meta, package exports), and import() in a
// cell becomes require() too; an import() in this plain file stays a real one.
const { pathToFileURL } = require('node:url');
const { join } = require('node:path');

const repoRoot = join(__dirname, '..', '..');

/** Imports a module by its path from the repository root, e.g. 'services/core/src/index.ts'. */
function load(path) {
  return import(pathToFileURL(join(repoRoot, path)).href);
}

module.exports = { load, repoRoot };
