// Install step of the native engine: builds the oneDNN addon with node-gyp when the system has
// oneDNN 2.x (Debian's libdnnl-dev) and Node's own headers, and otherwise skips with the reason.
// It never downloads anything and never fails the install: without the addon the engine runs on
// plain wasm. The outcome is written to build/status.json, which the loader reports.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(packageDir, 'build');
const log = (message) => console.log(`[engine-native] ${message}`);

function finish(built, reason) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, 'status.json'), JSON.stringify({ built, reason }) + '\n');
  log(built ? 'built the oneDNN addon' : `skipped the oneDNN addon: ${reason}`);
  process.exit(0);
}

const versionHeader = ['/usr/include/oneapi/dnnl/dnnl_version.h', '/usr/include/dnnl_version.h'].find(
  existsSync,
);
if (!existsSync('/usr/include/dnnl.hpp') || !versionHeader) {
  finish(false, 'oneDNN headers not found (/usr/include/dnnl.hpp); install libdnnl-dev to enable it');
}
const major = /#define DNNL_VERSION_MAJOR (\d+)/.exec(readFileSync(versionHeader, 'utf8'))?.[1];
if (major !== '2') finish(false, `oneDNN ${major ?? '?'}.x found; the addon is written for the 2.x API`);
const libraryDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib'];
if (!libraryDirs.some((dir) => existsSync(join(dir, 'libdnnl.so')))) {
  finish(false, `libdnnl.so not found in ${libraryDirs.join(', ')}; install libdnnl-dev`);
}

// Node's headers next to the running binary, so node-gyp has nothing to download.
const nodeDir = join(dirname(process.execPath), '..');
if (!existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) {
  finish(false, `Node's headers are not installed under ${nodeDir}/include/node`);
}
const gypCandidates = [
  process.env.npm_config_node_gyp,
  join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const nodeGyp = gypCandidates.find((path) => existsSync(path));
const [command, args] = nodeGyp
  ? [process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`]]
  : ['node-gyp', ['rebuild', `--nodedir=${nodeDir}`]];
log(`building with ${nodeGyp ?? 'node-gyp from PATH'} against ${versionHeader}`);
const result = spawnSync(command, args, { cwd: packageDir, stdio: 'inherit' });
if (result.error || result.status !== 0) {
  finish(
    false,
    `node-gyp failed (${result.error?.message ?? `exit ${result.status}`}); see the messages above`,
  );
}
finish(true, null);
