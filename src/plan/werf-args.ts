/** Reading werf's own arguments as cobra does (pure): shared by the decisions that look at werf's flags. */

/** A werf flag's value (`--name value`, `--name=value`, or a short `-S value`), the last one given; none after `--`. */
export function flagValue(werfArgs: readonly string[], names: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < werfArgs.length; i++) {
    const arg = werfArgs[i]!;
    if (arg === '--') break;
    for (const name of names) {
      if (arg === name) value = werfArgs[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  }
  return value;
}

/** werf's bool environment defaults (werf/common-go util.GetBoolEnvironmentDefaultFalse: 1, true, yes). */
export const truthy = (value: string | undefined): boolean => value !== undefined && /^(1|true|yes)$/i.test(value);
