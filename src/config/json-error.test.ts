import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { jsonErrorDetail, jsonErrorOffset, yamlErrorOffset } from './json-error.js';

/** What load.ts does with a text JSON.parse refuses. */
function detail(text: string): string {
  let message = '';
  try {
    JSON.parse(text);
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).not.toBe('');
  return jsonErrorDetail(text, message, jsonErrorOffset(message) ?? yamlErrorOffset(text, parseDocument));
}

describe('a .json config that does not parse: the reason, (line:col) and a code frame, as a YAML one', () => {
  it('an unexpected token, where V8 names no position: the yaml package finds it', () => {
    expect(detail('{"mode": "native",\n "network": host}')).toBe(
      'Unexpected token \'h\' (2:13)\n\n 1 | {"mode": "native",\n 2 |  "network": host}\n-----------------^',
    );
  });

  it('a trailing comma, where only V8 finds the mistake (YAML allows it)', () => {
    expect(detail('{"image": {"channel": "ea",}}')).toBe(
      'Expected double-quoted property name (1:28)\n\n 1 | {"image": {"channel": "ea",}}\n--------------------------------^',
    );
  });

  it('a missing colon, an unclosed list, an extra }', () => {
    expect(detail('{\n  "mode" "fuse"\n}\n')).toBe(
      'Expected \':\' after property name (2:10)\n\n 1 | {\n 2 |   "mode" "fuse"\n--------------^\n 3 | }\n 4 | ',
    );
    expect(detail('{"mounts": [\n  {"source": "a", "target": "/a"}\n')).toMatch(
      /^Expected ',' or '\]' after array element \(3:1\)\n\n 1 \| \{"mounts": \[\n 2 \| .*\n 3 \| \n-----\^$/,
    );
    expect(detail('{"mode": "fuse"}}')).toBe(
      'Unexpected non-whitespace character after JSON (1:17)\n\n 1 | {"mode": "fuse"}}\n---------------------^',
    );
  });

  it('counts a tab as one column (shown as →) and CRLF as one line break', () => {
    expect(detail('{\r\n\t"mode":\t"fuse",\r\n\t"network": host\r\n}\r\n')).toBe(
      'Unexpected token \'h\' (3:13)\n\n 1 | {\n 2 | →"mode":→"fuse",\n 3 | →"network": host\n-----------------^\n 4 | }\n 5 | ',
    );
    expect(detail('{"a": 1,\r\n  "b": [1, 2,\r\n  "c"}')).toMatch(/^Expected ',' or '\]' after array element \(3:6\)\n/);
  });

  it('shows at most three lines before and two after, numbers aligned, and cuts a long line around the spot', () => {
    const text = `{\n${Array.from({ length: 12 }, (_, i) => `  "k${i}": ${i},`).join('\n')}\n  "k12": nope\n}`;
    expect(detail(text)).toBe(
      'Unexpected token \'o\' (14:10)\n\n 11 |   "k9": 9,\n 12 |   "k10": 10,\n 13 |   "k11": 11,\n 14 |   "k12": nope\n---------------^\n 15 | }',
    );
    const long = detail(`{"env": {"set": {${Array.from({ length: 20 }, (_, i) => `"V${i}": "x"`).join(', ')}, "BAD": yes}}}`);
    const [, frame] = long.split('\n\n');
    for (const line of frame!.split('\n')) expect(line.length).toBeLessThanOrEqual(79);
    expect(frame).toMatch(/^ 1 \| {2}\.\.\. .*"BAD": yes\}\}\}\n-+\^$/);
    expect(frame!.split('\n')[1]!.indexOf('^')).toBe(frame!.split('\n')[0]!.indexOf('yes'));
  });

  it('gives the reason alone when no position is found, never the quoted text', () => {
    expect(jsonErrorDetail('{"a": 1', `Unexpected token 'x', "{"a": 1" is not valid JSON`, undefined)).toBe("Unexpected token 'x'");
    expect(jsonErrorDetail('x', `Unexpected token 'x', "x" is not valid JSON while parsing 'x'`, undefined)).toBe("Unexpected token 'x'");
    expect(jsonErrorOffset('Unexpected end of JSON input')).toBeUndefined();
    expect(yamlErrorOffset('{"a": [1,]}', parseDocument)).toBeUndefined();
  });

  it("reads newer V8's position with its line and column too", () => {
    const message = "Expected ',' or '}' after property value in JSON at position 9 (line 1 column 10)";
    expect(jsonErrorOffset(message)).toBe(9);
    expect(jsonErrorDetail('{"a": 1 "b": 2}', message, 9)).toMatch(/^Expected ',' or '\}' after property value \(1:10\)\n/);
  });
});
