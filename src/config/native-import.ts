/**
 * import() of a file outside werf-run's bundle (a config file in JavaScript
 * or TypeScript, the project's typescript package), as Node itself does it.
 *
 * The CLI runs as one CommonJS script compiled with V8's code cache
 * (src/cli/boot.ts); esbuild turns its import() calls into require(), which
 * cannot load an ES module on Node 20, and a cached script may not import()
 * there. So scripts/build.js points this module, in that script only, at
 * boot's own nativeImport, which Node compiled itself.
 */
export function nativeImport(specifier: string): Promise<unknown> {
  return import(specifier);
}
