/**
 * A CommonJS package loaded with `import()`: Node gives its exports as named
 * ones, the CLI's bundle (scripts/build.js, vendor/*.cjs) may give them only
 * as the default. `probe` names an export the package must have.
 */
export function commonJs<T extends object>(loaded: T & { default?: T }, probe: keyof T): T {
  return typeof loaded[probe] === 'function' || loaded.default === undefined ? loaded : loaded.default;
}
