/**
 * The CI examples in docs/credentials-clusters-ci.md are the files
 * integration/ci-env.test.ts runs (docs/examples/*.yml), copied verbatim.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const doc = readFileSync(path.join(root, 'docs', 'credentials-clusters-ci.md'), 'utf8');

describe('CI examples in the docs', () => {
  const embedded = [...doc.matchAll(/<!-- example: (\S+) -->\n```yaml\n([\s\S]*?)```\n<!-- end of example -->/g)];
  it('embeds the GitLab and GitHub examples', () => {
    expect(embedded.map((m) => m[1])).toEqual(['docs/examples/gitlab-ci.yml', 'docs/examples/github-actions.yml']);
  });
  it.each(embedded.map((m) => [m[1]!, m[2]!]))('%s is embedded as it is in the file the tests run', (file, text) => {
    expect(text).toBe(readFileSync(path.join(root, file), 'utf8'));
  });
});
