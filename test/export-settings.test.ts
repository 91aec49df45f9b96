/**
 * Every export carries every setting that changes the werf container: a table
 * over all formats x settings. Each cell names the text that proves the
 * setting is in the snippet, or why the format has nothing to carry (never an
 * empty cell: a new format or setting must be decided here).
 */
import { describe, expect, it } from 'vitest';
import type { ConfigInput, Mode } from '../src/config/schema.js';
import { EXPORT_FORMATS, type ExportFormat } from '../src/export/formats.js';
import { renderExport } from '../src/export/render.js';
import { specFor } from './export-fixture.js';

interface Setting {
  mode?: Mode;
  usernsRemap?: boolean;
  selinux?: boolean;
  config: ConfigInput;
  /** Per format: the texts the snippet must contain, or `n/a: why`. */
  expect: Record<ExportFormat, string[] | `n/a: ${string}`>;
}

const SETTINGS: Record<string, Setting> = {
  'network: host': {
    config: { network: 'host' },
    expect: {
      'docker-run': ['--network host'],
      compose: ['network_mode: host'],
      'gitlab-runner': ['network_mode = "host"'],
      'gitlab-ci': ['network_mode = "host"'],
      'github-actions': ['--network host'],
      kubernetes: ['hostNetwork: true', 'dnsPolicy: ClusterFirstWithHostNet'],
    },
  },
  'devices (fuse mode)': {
    mode: 'fuse',
    config: {},
    expect: {
      'docker-run': ['--device /dev/fuse'],
      compose: ['- /dev/fuse'],
      'gitlab-runner': ['devices = [ "/dev/fuse" ]'],
      'gitlab-ci': ['devices = [ "/dev/fuse" ]'],
      'github-actions': ['--device /dev/fuse'],
      kubernetes: ['github.com/fuse: 1'],
    },
  },
  'security options (native, SELinux)': {
    selinux: true,
    config: {},
    expect: {
      'docker-run': ['--security-opt seccomp=unconfined', '--security-opt apparmor=unconfined', '--security-opt label=disable'],
      compose: ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable'],
      'gitlab-runner': ['"seccomp:unconfined"', '"apparmor:unconfined"', '"label:disable"'],
      'gitlab-ci': ['"seccomp:unconfined"', '"apparmor:unconfined"', '"label:disable"'],
      'github-actions': ['--security-opt seccomp=unconfined', '--security-opt apparmor=unconfined', '--security-opt label=disable'],
      kubernetes: ['seccompProfile:', 'appArmorProfile:', 'type: spc_t'],
    },
  },
  'privileged and userns-remap': {
    mode: 'privileged',
    usernsRemap: true,
    config: { allowPrivileged: true },
    expect: {
      'docker-run': ['--privileged', '--userns=host'],
      compose: ['privileged: true', 'userns_mode: host'],
      'gitlab-runner': ['privileged = true', 'userns_mode = "host"'],
      'gitlab-ci': ['privileged = true', 'userns_mode = "host"'],
      'github-actions': ['--privileged', '--userns=host'],
      kubernetes: ['privileged: true'],
    },
  },
  'user: root': {
    config: { user: 'root' },
    expect: {
      'docker-run': ['--user root', 'target=/root/.werf'],
      compose: ['user: root', 'target: /root/.werf'],
      'gitlab-runner': ['user = "root"', ':/root/.werf'],
      'gitlab-ci': ['user = "root"'],
      'github-actions': ['--user root', 'target=/root/.werf'],
      kubernetes: ['runAsUser: 0', 'mountPath: /root/.werf'],
    },
  },
  'named cache volumes': {
    config: { volumes: { storage: 'my-storage', werfHome: 'my-home' } },
    expect: {
      'docker-run': ['source=my-storage', 'source=my-home'],
      compose: ['name: my-storage', 'name: my-home'],
      'gitlab-runner': ['"my-storage:', '"my-home:'],
      'gitlab-ci': ['"my-storage:', '"my-home:'],
      'github-actions': ['source=my-storage', 'source=my-home'],
      kubernetes: ['claimName: my-storage', 'claimName: my-home'],
    },
  },
  'env: fixed values and names passed': {
    config: { env: { set: { FOO: 'bar' }, pass: ['MY_VAR'] } },
    expect: {
      'docker-run': ['--env FOO=bar', '--env MY_VAR'],
      compose: ['FOO=bar', '- MY_VAR'],
      'gitlab-runner': 'n/a: variables belong to the job (gitlab-ci), not to the runner',
      'gitlab-ci': ['FOO: bar', 'MY_VAR'],
      'github-actions': ['FOO: bar', 'MY_VAR: ${{ vars.MY_VAR }}'],
      kubernetes: ['name: FOO', 'value: bar', 'MY_VAR'],
    },
  },
  'mounts: absolute and relative to the project': {
    config: {
      mounts: [
        { source: '/etc/ssl/certs', target: '/ssl' },
        { source: 'ci/keys', target: '/keys', readOnly: false },
      ],
    },
    expect: {
      'docker-run': ['type=bind,source=/etc/ssl/certs,target=/ssl,readonly', '"type=bind,source=$PWD/ci/keys,target=/keys"'],
      compose: ['source: /etc/ssl/certs', 'target: /ssl', 'read_only: true', 'source: ./ci/keys', 'target: /keys'],
      'gitlab-runner': ['"/etc/ssl/certs:/ssl:ro"', 'ci/keys -> /keys'],
      'gitlab-ci': ['"/etc/ssl/certs:/ssl:ro"', 'ci/keys -> /keys'],
      'github-actions': ['type=bind,source=/etc/ssl/certs,target=/ssl,readonly', '"type=bind,source=$PWD/ci/keys,target=/keys"'],
      kubernetes: ['path: /etc/ssl/certs', 'mountPath: /ssl', 'readOnly: true', 'subPath: ci/keys', 'mountPath: /keys'],
    },
  },
};

describe('every export carries every setting that changes the werf container', () => {
  const rows = Object.entries(SETTINGS).flatMap(([name, setting]) => EXPORT_FORMATS.map((format) => [name, format, setting] as const));
  it.each(rows)('%s in %s', (_name, format, setting) => {
    const want = setting.expect[format];
    if (typeof want === 'string') return void expect(want).toMatch(/^n\/a: .{10,}/);
    const spec = specFor({
      mode: setting.mode ?? 'native',
      usernsRemap: setting.usernsRemap,
      selinux: setting.selinux,
      config: setting.config,
      hostEnv: { MY_VAR: 'from-host', CI: 'true' },
    });
    const text = renderExport(format, spec, { kubeVersion: '1.30', cacheVolumes: 'pvc' });
    for (const piece of want) expect(text, `${format}:\n${text}`).toContain(piece);
  });
});
