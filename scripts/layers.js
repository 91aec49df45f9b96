/**
 * The floors of src/, lowest first: the one place the import rule is written.
 * A file may import its own folder and anything on a LOWER floor; never a
 * sibling on its own floor, never a floor above. eslint.config.js turns this
 * into `no-restricted-imports` per folder, and `no-restricted-syntax` for a
 * dynamic `import('...')`, which no-restricted-imports does not see (so `npm
 * test` fails on a wrong-way import of either kind), and docs/architecture.md shows it in a generated block that a test
 * keeps in step (test/layers.test.ts). `npm run schema` rewrites the block.
 */

/** @typedef {{ name: string, job: string }} Room  a folder of src/ ("engine") or a file at src/'s top ("errors.ts") */
/** @type {readonly (readonly Room[])[]} */
export const FLOORS = [
  [
    { name: 'errors.ts', job: 'WerfRunError (what failed, the value, the remedy) and the exit codes' },
    { name: 'reporter.ts', job: "the Reporter interface: werf-run's own messages, from any floor" },
    { name: 'interop.ts', job: "a CommonJS package's exports, whether import() gives them named or as the default" },
  ],
  [{ name: 'files.ts', job: "reading the user's files: a missing file is undefined, an unreadable one is one error naming it" }],
  [{ name: 'config', job: 'settings from the config file, WERF_RUN_* variables and flags, checked by one schema' }],
  [
    {
      name: 'engine',
      job: "finding the Docker Engine, the docker CLI's config, and the Engine port (only dockerode.ts imports dockerode)",
    },
  ],
  [
    {
      name: 'detect',
      job: "facts of the engine's host (override, /info, cache, probe), the per-daemon cache and the mode the facts allow; the probe container itself is run by run/",
    },
    { name: 'plan', job: 'the werf container (mode, image, mounts, env, security): a pure function of facts and config' },
  ],
  [
    { name: 'recover', job: 'failure signatures, what a failure disproves, the next mode, and the retry loop (the attempt passed in)' },
    { name: 'export', job: 'the plan as a snippet for another system (docker run, Compose, CI runners, Kubernetes); pure' },
  ],
  [{ name: 'run', job: 'runs containers: one attempt with its failure watcher passed in, the probe, pulls, signals, cleanup' }],
  [
    {
      name: 'host',
      job: "reading the caller's machine for werf: the docker CLI's config and credentials (helpers included), kubeconfig, ssh agent and known_hosts, the project and its git layout, werf-run's own container; each reader returns what it hands werf",
    },
  ],
  [{ name: 'cli', job: 'the commands: arguments, prepare, wire the floors below together, print; the one place errors become exit codes' }],
  [{ name: 'index.ts', job: "the package's public API" }],
];

const isFile = (name) => name.endsWith('.ts');
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How `from` (a folder or a top file of src/) names `to` in an import: '../to/x.js', './to.js', ... */
function specifierPattern(from, to) {
  const up = isFile(from) ? '\\./' : '\\.\\./';
  return isFile(to) ? `^${up}${escape(to.replace(/\.ts$/, ''))}(\\.js|\\.ts)?$` : `^${up}${escape(to)}(/|$)`;
}

const label = (name) => (isFile(name) ? `src/${name}` : `${name}/`);

/** What a room may import: every room on a lower floor. */
export function allowedFor(name, floors = FLOORS) {
  const floor = floors.findIndex((rooms) => rooms.some((room) => room.name === name));
  if (floor < 0) throw new Error(`src/${name} is on no floor of scripts/layers.js`);
  return floors
    .slice(0, floor)
    .flat()
    .map((room) => room.name);
}

/** An esquery selector for `import('<a specifier matching pattern>')` (esquery's regex ends at an unescaped slash). */
const dynamicImportOf = (pattern) => `ImportExpression[source.value=/${pattern.replace(/\//g, '\\/')}/]`;

/** ESLint flat-config entries, one per room: no-restricted-imports (and the same for import()) of every room on its floor or above. */
export function layerRules(floors = FLOORS) {
  return floors.flatMap((rooms, floor) =>
    rooms.map(({ name }) => {
      const allowed = allowedFor(name, floors);
      const above = floors
        .slice(floor)
        .flat()
        .filter((room) => room.name !== name);
      const message = (to) =>
        `${label(name)} may import only ${allowed.map(label).join(', ') || 'nothing of werf-run'}; ${label(to)} is not below it (docs/architecture.md): pass what is needed down as an argument or a callback, or move the piece to the floor where it belongs.`;
      return {
        files: isFile(name) ? [`src/${name}`] : [`src/${name}/**/*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: above.map((room) => ({ regex: specifierPattern(name, room.name), message: message(room.name) })),
            },
          ],
          'no-restricted-syntax': [
            'error',
            ...above.map((room) => ({ selector: dynamicImportOf(specifierPattern(name, room.name)), message: message(room.name) })),
          ],
        },
      };
    }),
  );
}

/** The generated block of docs/architecture.md (between its `floors` markers). */
export function floorsMarkdown(floors = FLOORS) {
  const rows = floors
    .map((rooms, floor) =>
      rooms.map(
        (room) =>
          `| ${floor} | \`${label(room.name)}\` | ${room.job} | ${
            allowedFor(room.name, floors)
              .map((n) => `\`${label(n)}\``)
              .join(' ') || '(nothing)'
          } |`,
      ),
    )
    .reverse()
    .flat();
  return ['| floor | room | its job | may import |', '|---|---|---|---|', ...rows].join('\n');
}
