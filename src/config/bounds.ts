/**
 * A parsed config value that cannot eat the machine (pure): before anything
 * walks it (validation, merging, messages), its nesting and its number of
 * values are bounded. YAML aliases are shared references once parsed, so a
 * "billion laughs" of nested aliases is small in memory but expands on every
 * walk: counting each value as often as it is reached bounds the expansion
 * (as the yaml package's maxAliasCount does); a 10,000-deep JSON would
 * overflow the stack of every recursive walk.
 */
import { UsageError } from '../errors.js';
import { capText } from './quote.js';

/** werf-run's deepest key is mounts[].source (3 levels); room for the maps of env.set. */
export const MAX_DEPTH = 16;
/** Far more values than any real config (every key is well under a hundred). */
export const MAX_VALUES = 10_000;

/** Throws a UsageError naming `source` when the value nests deeper than MAX_DEPTH or holds more than MAX_VALUES values. */
export function assertBounded(value: unknown, source: string): void {
  const stack: { node: unknown; depth: number; at: string }[] = [{ node: value, depth: 0, at: '' }];
  let count = 0;
  while (stack.length > 0) {
    const { node, depth, at } = stack.pop()!;
    count += 1;
    if (count > MAX_VALUES) {
      throw new UsageError(
        `config ${source} holds more than ${MAX_VALUES} values (YAML aliases count each time they are used); it was not read further`,
        "keep only werf-run's settings in it (a few lines), without nested aliases",
      );
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_DEPTH) {
      throw new UsageError(
        `config ${source} nests deeper than ${MAX_DEPTH} levels (at ${capText(at || '(top level)', 120)}); it was not read further`,
        "werf-run's settings nest at most 3 levels: remove the nesting",
      );
    }
    const entries: [string, unknown][] = Array.isArray(node)
      ? node.map((item, i) => [`[${i}]`, item])
      : Object.entries(node).map(([k, v]) => [`.${k}`, v]);
    for (const [key, child] of entries) stack.push({ node: child, depth: depth + 1, at: at.length > 200 ? at : `${at}${key}` });
  }
}
