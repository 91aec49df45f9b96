/**
 * A value as a message quotes it: JSON, secrets masked, and never longer than
 * a few hundred characters, so a hostile or huge value (a long line, a deep
 * or wide structure) can neither flood the terminal nor cost time or memory
 * to print: the walk stops once it has enough characters.
 */
import { isSecretName, redactValue } from './secrets.js';

/** The most characters of one quoted value in a message. */
const QUOTE_MAX = 200;

/** `text` cut to `max` characters, saying how much was left out. */
export function capText(text: string, max = QUOTE_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Thrown inside the walk once the output is long enough. */
const ENOUGH = Symbol('enough');

/**
 * JSON of the value with secrets masked (values under secret-looking keys,
 * URL passwords), at most `max` characters and then "…"; `secret`: the value
 * itself sits under a secret-looking name. Stops early on huge values.
 */
export function quoteCapped(value: unknown, secret = false, max = QUOTE_MAX): string {
  let out = '';
  const emit = (text: string): void => {
    out += text;
    if (out.length > max) throw ENOUGH;
  };
  const walk = (node: unknown, hidden: boolean): void => {
    if (hidden && node !== undefined) return emit('"<redacted>"');
    if (Array.isArray(node)) {
      emit('[');
      node.forEach((item, i) => {
        if (i > 0) emit(',');
        walk(item, false);
      });
      return emit(']');
    }
    if (node !== null && typeof node === 'object') {
      emit('{');
      let first = true;
      for (const key of Object.keys(node)) {
        if ((node as Record<string, unknown>)[key] === undefined) continue;
        emit(`${first ? '' : ','}${JSON.stringify(key)}:`);
        first = false;
        walk((node as Record<string, unknown>)[key], isSecretName(key));
      }
      return emit('}');
    }
    if (typeof node === 'string') return emit(JSON.stringify(redactValue(node)));
    if (typeof node === 'bigint' || typeof node === 'function' || typeof node === 'symbol') return emit(`(${typeof node})`);
    emit(node === undefined ? 'null' : JSON.stringify(node));
  };
  try {
    walk(value, secret);
  } catch (error) {
    // A stack overflow (a structure deeper than the stack) is cut there too.
    if (error !== ENOUGH && !(error instanceof RangeError)) throw error;
    return `${out.slice(0, max)}…`;
  }
  return out;
}
