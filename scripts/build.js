// The build: `tsc` emits dist/**/*.js and .d.ts (the types of the library
// entry, and the per-file modules scripts/gen-schema.js and the tests use);
// esbuild then bundles, with every dependency, into dist/bundle/: the library
// entry (ESM, with chunks split off for what only some uses need), the CLI as
// one CommonJS script (cli.cjs) and its boot (boot.cjs), which runs cli.cjs
// with V8's code cache (src/cli/boot.ts): a warm run reads three files
// instead of ~260 and compiles almost nothing, and the install needs no
// node_modules. The third-party licences of everything bundled go to
// dist/bundle/THIRD-PARTY-LICENSES.txt.
// Usage: node scripts/build.js  (npm run build; also run by npm pack via prepack)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'bundle');

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);

/**
 * dockerode and docker-modem require at load time what werf-run never uses:
 * BuildKit sessions (gRPC, protobufjs: 8 MB installed), docker-modem's own
 * ssh (ssh2; werf-run runs the system ssh, src/engine/ssh-tunnel.ts), and the
 * build-context packer (tar-fs, dockerignore) of buildImage. They are replaced
 * by a module that says so if anything ever calls it.
 */
const UNUSED = [
  { from: /[\\/]dockerode[\\/]lib$/, request: './session' },
  { from: /[\\/]dockerode[\\/]lib$/, request: './buildkit' },
  { from: /[\\/]dockerode[\\/]lib$/, request: 'tar-fs' },
  { from: /[\\/]dockerode[\\/]lib$/, request: '@balena/dockerignore' },
  { from: /[\\/]docker-modem[\\/]lib$/, request: './ssh' },
];
/**
 * Built-in modules dockerode and docker-modem require at load time for what
 * most runs never do (https for TLS endpoints, zlib for build contexts): each
 * is loaded on first use instead, through a proxy.
 */
const LAZY_BUILTINS = [
  { from: /[\\/]docker-modem[\\/]lib$/, request: 'https' },
  { from: /[\\/]dockerode[\\/]lib$/, request: 'zlib' },
  // commander spawns only for executable subcommands, which werf-run has none of.
  { from: /[\\/]commander[\\/]lib$/, request: 'node:child_process' },
  // src/run/tty.ts runs stty only on a terminal, ship.ts git only when shipping: a run in CI (pipes) never spawns.
  { from: /[\\/]src[\\/]run$/, request: 'node:child_process' },
  // Is stdin a terminal? Asked only when stdout is one, or for a cluster's login (src/cli/context.ts stdinIsTTY).
  { from: /[\\/]src[\\/]cli$/, request: 'node:tty' },
];
/**
 * docker-modem's `require('debug')('modem')`: debug loads Node's tty module
 * and supports-color (which probe the terminal) at load time, on every run.
 * Without DEBUG in the environment every namespace is off (debug's node.js
 * load() reads only process.env.DEBUG, and nothing in werf-run calls
 * debug.enable()), so then docker-modem gets a logger that is off, with
 * `enabled` false as debug's own would be, and debug itself is not loaded.
 */
const DEBUG_ON_DEMAND = { from: /[\\/]docker-modem[\\/]lib$/, request: 'debug' };
/**
 * docker-modem's ./http (its requests go out through `http[protocol].request`):
 * a request to a unix socket (or named pipe) goes through
 * src/engine/unix-http.ts, on node:net alone; node:http, and docker-modem's own
 * ./http over it, load only for a tcp, TLS or ssh endpoint. Loading node:http
 * and compiling it for its first request cost a warm run ~6% of its
 * instructions (unix-http.ts says more).
 */
const MODEM_HTTP = { from: /[\\/]docker-modem[\\/]lib$/, request: './http' };
/** docker-modem's HttpDuplex needs only Duplex, which Node's own stream module has: no copy of readable-stream. */
const NODE_STREAM = [{ from: /[\\/]docker-modem[\\/]lib$/, request: 'readable-stream' }];
const unusedModules = {
  name: 'unused-modules',
  setup(b) {
    b.onResolve(
      {
        filter:
          /^(\.\/(session|buildkit|ssh|http)|tar-fs|@balena\/dockerignore|readable-stream|https|zlib|node:child_process|node:tty|debug)$/,
      },
      async (args) => {
        if (args.pluginData === 'real') return undefined;
        const matches = (list) => list.some((u) => u.request === args.path && u.from.test(args.resolveDir));
        if (matches(NODE_STREAM)) return { path: 'node:stream', external: true };
        if (matches([MODEM_HTTP])) return { path: path.relative(root, path.join(args.resolveDir, 'http.js')), namespace: 'modem-http' };
        if (matches([DEBUG_ON_DEMAND])) {
          const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'real' });
          // Relative, as the bundle names its modules (an absolute path would name the build machine's folders).
          return { path: path.relative(root, real.path), namespace: 'debug-on-demand' };
        }
        if (matches(LAZY_BUILTINS)) return { path: args.path, namespace: 'lazy-builtin' };
        if (matches(UNUSED)) return { path: `${args.resolveDir}/${args.path}`, namespace: 'unused' };
        return undefined;
      },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let m; const load = () => (m ??= require('node:${args.path.replace(/^node:/, '')}')); module.exports = new Proxy({}, { get: (_t, key) => load()[key], has: (_t, key) => key in load() });`,
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'modem-http' }, (args) => ({
      contents: `const { unixRequest } = require(${JSON.stringify(path.join(root, 'src', 'engine', 'unix-http.ts'))});
let real;
const load = () => (real ??= require('./http.js'));
module.exports = {
  http: { request: (options, callback) => (options.socketPath ? unixRequest(options, callback) : load().http.request(options, callback)) },
  https: { request: (options, callback) => load().https.request(options, callback) },
};`,
      resolveDir: path.join(root, path.dirname(args.path)),
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'debug-on-demand' }, (args) => ({
      contents: `module.exports = process.env.DEBUG ? require(${JSON.stringify(`./${path.basename(args.path)}`)}) : () => Object.assign(() => undefined, { enabled: false });`,
      resolveDir: path.join(root, path.dirname(args.path)),
      loader: 'js',
    }));
    b.onLoad({ filter: /.*/, namespace: 'unused' }, (args) => ({
      contents: `module.exports = function unused() { throw new Error(${JSON.stringify(`${args.path.replace(/.*node_modules[\\/]/, '')} is not part of werf-run's bundle`)}); };`,
      loader: 'js',
    }));
  },
};

/**
 * docker-modem's per-request `debug('Sending: %s', util.inspect(...))` is
 * guarded by `debug.enabled` by patches/docker-modem+*.patch, which
 * patch-package applies on `npm ci` (the `prepare` script; it fails when the
 * patch no longer applies, and test/startup.test.ts checks the installed
 * file). A bundle built without it (npm ci --ignore-scripts) would be ~20 ms a
 * run slower, so the build stops instead.
 */
const MODEM_JS = path.join(root, 'node_modules', 'docker-modem', 'lib', 'modem.js');
if (!readFileSync(MODEM_JS, 'utf8').includes("if (debug.enabled) debug('Sending: %s', util.inspect(")) {
  throw new Error(`${MODEM_JS} lacks patches/docker-modem+*.patch: run npx patch-package (npm ci does)`);
}

// Computed once here rather than on every run, and without zod: src/config/json-schema.ts.
const { computeConfigJsonSchema } = await import(pathToFileURL(path.join(root, 'dist', 'config', 'json-schema.js')).href);
const builtJsonSchema = {
  name: 'built-json-schema',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]config[\\/]json-schema\.ts$/ }, () => ({
      contents: `export function computeConfigJsonSchema() { return ${JSON.stringify(computeConfigJsonSchema())}; }`,
      loader: 'js',
    }));
  },
};

const shared = {
  absWorkingDir: root,
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The project's own typescript, found at run time for .werfrunrc.ts (src/config/ts-loader.ts, cosmiconfig).
  external: ['typescript'],
  legalComments: 'eof',
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [unusedModules, builtJsonSchema],
};

// The library entry as an ES module, its heavy parts in chunks loaded on demand.
const library = await build({
  ...shared,
  entryPoints: { index: 'src/index.ts' },
  splitting: true,
  format: 'esm',
  // CommonJS dependencies call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __werfRunCreateRequire } from 'node:module'; const require = __werfRunCreateRequire(import.meta.url);",
  },
  chunkNames: 'chunks/[name]-[hash]',
});

/** What the two CommonJS scripts share: import.meta.url from __filename. */
const commonJs = {
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': '__werfRunImportMetaUrl' },
  banner: { js: "const __werfRunImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

// The CLI's boot: CommonJS, compiled by Node itself, so its import() is
// Node's own (the CLI's imports of files outside the bundle go through it).
const boot = await build({ ...shared, ...commonJs, entryPoints: { boot: 'src/cli/boot.ts' } });

/** In the CLI's script, import() of files outside the bundle goes through boot's (src/config/native-import.ts). */
const bootImport = {
  name: 'boot-import',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]config[\\/]native-import\.ts$/ }, () => ({
      contents: "export { nativeImport } from './boot.cjs';",
      loader: 'js',
    }));
  },
};

/**
 * The libraries only some runs use (an invalid config's explanation, config
 * files that are not JSON, the exports, credential helpers, the task list,
 * shipping): each its own CommonJS file in vendor/, required from cli.cjs on
 * first use. A run then reads, compiles and caches only what it runs; these
 * are two thirds of the CLI's code.
 */
const VENDOR = ['zod', 'yaml', 'execa', 'cosmiconfig', 'listr2', 'smol-toml', 'tar-stream'];
const vendorFiles = {
  name: 'vendor-files',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }));
  },
};
const vendor = await build({ ...shared, ...commonJs, entryPoints: Object.fromEntries(VENDOR.map((name) => [`vendor/${name}`, name])) });

// The CLI as one CommonJS script, so that its boot (src/cli/boot.ts, also
// CommonJS, as is bin/werf-run.cjs) can compile it with V8's code cache
// (Node 20 has no cache for ES modules). Werf-run's own code that only some
// runs need (doctor, the exports, the ssh transport) is in the file but not
// run until used: esbuild turns those dynamic imports into calls of lazily
// initialised modules.
const cli = await build({
  ...shared,
  ...commonJs,
  entryPoints: { cli: 'src/cli/process.ts' },
  external: [...shared.external, './boot.cjs'],
  plugins: [...shared.plugins, bootImport, vendorFiles],
  // import() becomes require(): on Node 20 a script compiled through vm.Script
  // with a code cache cannot import() (nor without --experimental-vm-modules).
  // Files outside the bundle are imported through boot's (bootImport).
  supported: { 'dynamic-import': false },
});
// The first line names the build: boot.ts keys its code cache on it (V8 itself
// checks only the source's length).
const cliFile = path.join(out, 'cli.cjs');
/**
 * esbuild's __toESM, which gives a CommonJS module (Node's built-ins
 * included) as an ES namespace, copies each of the module's properties as a
 * getter onto a new object: `import path from 'node:path'` in 40 files, and
 * node:os, node:http, dockerode, commander, made that ~1,000 getters at every
 * start (about 5M of a warm run's ~280M instructions). This one gives the
 * same values, live, through the prototype chain: the namespace's own
 * property is only `default` (the module itself, or the module's own
 * `default` for one compiled from ES modules, as esbuild's), every other
 * name is read from the module. Nothing in the CLI lists a namespace's own
 * keys. The build stops when esbuild's helper is no longer the one replaced.
 */
const ESBUILD_TO_ESM =
  '__toESM=(mod,isNodeMode,target)=>(target=mod!=null?__create(__getProtoOf(mod)):{},__copyProps(isNodeMode||!mod||!mod.__esModule?__defProp(target,"default",{value:mod,enumerable:!0}):target,mod))';
const LIGHT_TO_ESM =
  '__toESM=(mod,isNodeMode)=>mod==null?__defProp({},"default",{value:mod,enumerable:!0}):__create(mod,isNodeMode||!mod.__esModule?{default:{value:mod,enumerable:!0}}:{})';
const esbuildCli = readFileSync(cliFile, 'utf8');
if (esbuildCli.split(ESBUILD_TO_ESM).length !== 2)
  throw new Error(`${cliFile}: esbuild's __toESM is not the one scripts/build.js replaces`);
/**
 * cli.cjs is a function of its own: boot.ts compiles the file's text as it
 * is, where Node's module.wrap(source) would copy its 600 KB into a second
 * string, for V8 to hash again, on every run. Required as a CommonJS module
 * (Node >= 22.1's compile cache, or anyone's require()) it runs itself: there
 * `this` is module.exports; in boot's vm.Script it is the global object. ASCII
 * only (esbuild escapes the rest), so that boot reads it as latin1 without
 * decoding UTF-8.
 */
const cliText = `(function (main) { return this === globalThis ? main : void main.call(this, exports, require, module, __filename, __dirname); }).call(this, function (exports, require, module, __filename, __dirname) {\n${esbuildCli.replace(ESBUILD_TO_ESM, LIGHT_TO_ESM)}\n});\n`;
if (/[^\t\n\r\x20-\x7e]/.test(cliText)) throw new Error(`${cliFile}: not ASCII, which boot.ts reads it as (esbuild's charset)`);
writeFileSync(cliFile, `// werf-run build ${createHash('sha256').update(cliText).digest('hex')}\n${cliText}`);
const builds = [library, boot, vendor, cli];
const result = {
  metafile: {
    inputs: Object.assign({}, ...builds.map((r) => r.metafile.inputs)),
    outputs: Object.assign({}, ...builds.map((r) => r.metafile.outputs)),
  },
};

/** Every package with code in the bundle, with its licence text. */
function licences(metafile) {
  const packages = new Map();
  // Not the plugins' own modules (unused:, lazy-builtin:, debug-on-demand:): the packages they stand for are counted where bundled.
  for (const input of Object.keys(metafile.inputs).filter((i) => !/^[a-z-]+:/.test(i))) {
    // The last node_modules/<name>/ of the path: nested copies are packages of their own.
    const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (!m) continue;
    const dir = path.join(root, m[1]);
    packages.set(dir, m[2]);
  }
  const parts = [];
  for (const [dir, name] of [...packages].sort((a, b) => a[1].localeCompare(b[1]))) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    if (!file && !pkg.license) throw new Error(`${name} has neither a licence file nor a licence in its package.json`);
    const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
    const text = file
      ? readFileSync(path.join(dir, file), 'utf8').trim()
      : `The package ships no licence file; its package.json names the licence ${pkg.license}${author ? `, by ${author}` : ''}.`;
    const notice = readdirSync(dir).find((f) => /^notice/i.test(f));
    const noticeText = notice ? `\n\n${notice}:\n${readFileSync(path.join(dir, notice), 'utf8').trim()}` : '';
    parts.push(`${name}@${pkg.version} (${pkg.license ?? 'see below'})\n${'-'.repeat(60)}\n${text}${noticeText}\n`);
  }
  return `werf-run's bundle (dist/bundle/) contains code of these packages, under these licences:\n\n${parts.join('\n')}`;
}
writeFileSync(path.join(out, 'THIRD-PARTY-LICENSES.txt'), licences(result.metafile));
// For analysis (esbuild's analyzer, or npm run bench's notes); not shipped.
writeFileSync(path.join(root, 'dist', 'bundle-meta.json'), JSON.stringify(result.metafile));
if (!existsSync(path.join(out, 'boot.cjs')) || !existsSync(cliFile)) throw new Error('the bundle has no boot.cjs or cli.cjs');
