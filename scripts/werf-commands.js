#!/usr/bin/env node
/**
 * Writes the snapshot of werf's command list that src/plan/cluster-commands.test.ts
 * checks the cluster table against: every command of werf's CLI reference
 * (docs/_includes/reference/cli/werf_*.md, which `werf docs` generates from the
 * command tree, cmd/werf/root/root.go), with whether it has werf's kube flags
 * (--kube-config, --kube-config-base64, --kube-context, kubectl's --kubeconfig:
 * common.SetupKubeConnectionFlags or
 * SetupMinimalKubeConnectionFlags, own or inherited), --synchronization
 * (common.SetupSynchronization: kubernetes:// reads the kubeconfig) and
 * --without-kube.
 *
 * Usage: node scripts/werf-commands.js <werf git dir> [commit]
 * (a bare clone works: git --git-dir=<dir> is used), e.g. after the `fetch`
 * of github:werf/werf. Prints the JSON; redirect it into
 * src/plan/fixtures/werf-commands.json.
 */
import { execFileSync } from 'node:child_process';

const [gitDir, commit = 'HEAD'] = process.argv.slice(2);
if (!gitDir) {
  console.error('usage: node scripts/werf-commands.js <werf git dir> [commit]');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const sha = git('rev-parse', commit).trim();
const dir = 'docs/_includes/reference/cli/';
const files = git('ls-tree', '-r', '--name-only', sha, dir)
  .split('\n')
  .filter((f) => /\/werf(_[a-z0-9_]+)?\.md$/.test(f));
const commands = [];
for (const file of files) {
  const stem = file.slice(dir.length, -'.md'.length).replace(/^werf_?/, '');
  const text = git('show', `${sha}:${file}`);
  const syntax = /```shell\n\s*werf ([^\n]*)/.exec(text.split(/Syntax/)[1] ?? '')?.[1] ?? '';
  const words = [];
  for (const word of syntax.split(/\s+/)) {
    if (!/^[a-z][a-z0-9-]*$/.test(word)) break;
    words.push(word);
  }
  // The syntax line may go on with arguments in lower case: keep the words the file's name spells.
  while (words.length && words.join('_').replaceAll('-', '_') !== stem) words.pop();
  const has = (flag) => new RegExp(`^\\s+(-\\w, )?--${flag}[=\\s]`, 'm').test(text);
  commands.push({
    stem,
    command: words.join(' '),
    kubeFlags: ['kube-config', 'kube-config-base64', 'kube-context', 'kubeconfig'].some(has),
    synchronization: has('synchronization'),
    withoutKube: has('without-kube'),
  });
}
// A group (werf helm, werf bundle) has no Syntax line: its words are a prefix of a child's.
const under = (c) => c.command.replaceAll('-', '_').replaceAll(' ', '_');
for (const c of commands) {
  if (!c.stem || c.command) continue;
  const child = commands.find((o) => o.command && under(o).startsWith(`${c.stem}_`));
  // No child either (werf kubectl alpha): its file name's words.
  const words = child ? child.command.split(' ') : c.stem.split('_');
  while (words.length && words.join('_').replaceAll('-', '_') !== c.stem) words.pop();
  if (!words.length) throw new Error(`werf_${c.stem}.md: cannot find the command's words`);
  c.command = words.join(' ');
}
for (const c of commands) delete c.stem;
commands.sort((a, b) => a.command.localeCompare(b.command));
process.stdout.write(`${JSON.stringify({ werf: `werf/werf@${sha}`, from: dir, commands }, null, 1)}\n`);
