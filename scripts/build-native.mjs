// Builds the bpf() addon (native/ -> native/build/Release/bpfsim_native.node) with the node-gyp
// that ships inside npm, offline against the local Node headers.
//
// Run by `npm install` / `npm ci` (the "install" script): there it must never fail the install,
// so any obstacle prints ONE line saying why the kernel backend is unavailable and exits 0.
// Run by `npm run build:native` with --strict: obstacles print the full story and exit 1.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const output = 'native/build/Release/bpfsim_native.node';

/** Reports why the addon cannot be built, and exits (0 unless --strict). */
function unavailable(reason, details = '') {
  if (strict) {
    if (details) process.stderr.write(details.endsWith('\n') ? details : `${details}\n`);
    process.stderr.write(`bpfsim: cannot build the bpf() addon: ${reason}\n`);
    process.exit(1);
  }
  process.stdout.write(`bpfsim: kernel backend unavailable: ${reason}\n`);
  process.exit(0);
}

/** Whether `cmd --version` runs. */
function runs(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** The first existing file among `paths`. */
function firstExisting(paths) {
  return paths.find((p) => p && existsSync(p));
}

/** An executable named `name` on PATH, with symlinks resolved. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = dir && join(dir, name);
    if (p && existsSync(p)) return realpathSync(p);
  }
  return undefined;
}

/** node-gyp's entry script: the one npm points us at, else the one bundled with npm. */
function findNodeGyp() {
  const bundled = (npmBin) => join(dirname(npmBin), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const npmCli = onPath('npm');
  return firstExisting([
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && bundled(process.env.npm_execpath),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    npmCli && bundled(npmCli),
  ]);
}

/** A Node installation prefix whose include/node has the N-API headers, so node-gyp needs no download. */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')];
  return candidates.find((dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h')));
}

/** The most telling line of node-gyp's output, for the one-line report. */
function telltaleLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const compiler = lines.filter((l) => /\berror\b/i.test(l) && !l.startsWith('gyp'));
  const gyp = lines.filter((l) => l.startsWith('gyp ERR!') && !/(stack|cwd|node -v|node-gyp -v|command|System)/.test(l));
  return compiler[0] ?? gyp[0] ?? lines.at(-1) ?? 'no output';
}

if (process.platform !== 'linux') {
  unavailable(`the bpf() syscall exists only on Linux (this is ${process.platform})`);
}
const cc = process.env.CC ?? 'cc';
if (!runs(cc)) unavailable(`no C compiler (\`${cc}\` not found); install gcc or clang, then run \`npm run build:native\``);
if (!runs('make')) unavailable('`make` not found; install it, then run `npm run build:native`');
const nodeGyp = findNodeGyp();
if (!nodeGyp) unavailable('node-gyp not found (it ships with npm); run `npm run build:native` from npm');

const nodeDir = findNodeDir();
const gypArgs = [nodeGyp, 'rebuild', `--directory=${nativeDir}`, ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])];
const result = spawnSync(process.execPath, gypArgs, {
  cwd: root,
  stdio: strict ? 'inherit' : 'pipe',
  encoding: 'utf8',
});
if (result.error || result.status !== 0) {
  if (strict) unavailable(`node-gyp failed (${result.error?.message ?? `exit status ${result.status}`}); see its output above`);
  const why = result.error ? result.error.message : telltaleLine(`${result.stdout}${result.stderr}`);
  unavailable(`node-gyp failed (${why}); run \`npm run build:native\` for the full log`);
}
process.stdout.write(`bpfsim: built the bpf() addon (${output})\n`);
