/**
 * A .json config that JSON.parse refuses, told as a YAML one is: the reason,
 * `(line:col)` and a code frame of the lines around the spot (js-yaml's
 * layout, so both forms look alike). JSON.parse stays the judge of validity;
 * this only says where. V8 names the offset for most mistakes (`... in JSON at
 * position 27`) but not for an unexpected token on Node 20 (`Unexpected token
 * 'h', ..."rk": host}" is not valid JSON`); then the yaml package, parsing the
 * text with its JSON schema, finds the spot (`Unresolved plain scalar "host"`).
 * Pure: the caller loads yaml, and only on this error path.
 */

/** What is used of the yaml package's `parseDocument`. */
type ParseDocument = (text: string, options: { schema: 'json' }) => { errors: readonly { pos: readonly [number, number] }[] };

const POSITION = / at position (\d+)/;

/** The offset V8's message names (`at position N`), or undefined. */
export function jsonErrorOffset(message: string): number | undefined {
  const match = POSITION.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** The offset of the first error the yaml package finds in the text parsed as JSON, or undefined when it finds none. */
export function yamlErrorOffset(text: string, parseDocument: ParseDocument): number | undefined {
  try {
    return parseDocument(text, { schema: 'json' }).errors[0]?.pos[0];
  } catch {
    return undefined;
  }
}

/**
 * V8's message as the reason alone: without its quote of the text (`, "..." is
 * not valid JSON`), its position (` in JSON at position 5 (line 1 column 6)`)
 * and parse-json's `while parsing '...'` tail.
 */
function reasonOf(message: string): string {
  return (
    message
      .replace(/ while parsing (near )?(['"]).*$/s, '')
      // V8 quotes the text around the spot, shortened with ... on either side.
      .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
      .replace(/( in JSON)? at position \d+.*$/s, '')
      .trim()
  );
}

const LINE_BREAK = /\r\n|\r|\n/g;

/** The text's lines (without their breaks) and the offset each starts at. */
function linesOf(text: string): { starts: number[]; lines: string[] } {
  const starts = [0];
  const lines: string[] = [];
  let last = 0;
  for (const match of text.matchAll(LINE_BREAK)) {
    lines.push(text.slice(last, match.index));
    last = match.index + match[0].length;
    starts.push(last);
  }
  lines.push(text.slice(last));
  return { starts, lines };
}

const FRAME = { indent: 1, linesBefore: 3, linesAfter: 2, maxLength: 79 };

/** One line of the frame, cut around `column` (0-based) when too long; tabs shown as →, as js-yaml does. */
function frameLine(line: string, column: number, maxLength: number): { text: string; column: number } {
  const half = Math.floor(maxLength / 2) - 1;
  let start = 0;
  let end = line.length;
  let head = '';
  let tail = '';
  if (column > half) {
    head = ' ... ';
    start = column - half + head.length;
  }
  if (end - column > half) {
    tail = ' ...';
    end = column + half - tail.length;
  }
  return { text: head + line.slice(start, end).replace(/\t/g, '→') + tail, column: column - start + head.length };
}

/** `reason (line:col)`, a blank line and the code frame; the reason alone when the offset is unknown. Line and column count from 1. */
export function jsonErrorDetail(text: string, message: string, offset: number | undefined): string {
  const reason = reasonOf(message);
  if (offset === undefined || offset < 0 || offset > text.length) return reason;
  const { starts, lines } = linesOf(text);
  let index = starts.length - 1;
  while (index > 0 && starts[index]! > offset) index--;
  // An offset on a line break counts as the end of its line.
  const column = Math.min(offset - starts[index]!, lines[index]!.length);
  const first = Math.max(0, index - FRAME.linesBefore);
  const last = Math.min(lines.length - 1, index + FRAME.linesAfter);
  const numberWidth = String(last + 1).length;
  const maxLength = FRAME.maxLength - (FRAME.indent + numberWidth + 3);
  const frame: string[] = [];
  for (let i = first; i <= last; i++) {
    const shown = frameLine(lines[i]!, i === index ? column : Math.min(column, lines[i]!.length), maxLength);
    frame.push(`${' '.repeat(FRAME.indent)}${String(i + 1).padStart(numberWidth)} | ${shown.text}`);
    if (i === index) frame.push(`${'-'.repeat(FRAME.indent + numberWidth + 3 + shown.column)}^`);
  }
  return `${reason} (${index + 1}:${column + 1})\n\n${frame.join('\n')}`;
}
