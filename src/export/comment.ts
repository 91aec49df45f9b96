/**
 * A line of a comment in an exported file (TOML, YAML) that holds values of
 * the project or the host (paths, werf's arguments, a network name): a line
 * break or another control character in them would end the comment and start
 * a line of config, so each is written as a visible escape (`\n`).
 */
export function commentText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
