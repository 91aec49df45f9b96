import { describe, expect, it } from 'vitest';
import { certFilesFor, containersPaths, registriesConf } from './registries-conf.js';

describe("registriesConf: the daemon's registry settings as a registries.conf drop-in for buildah", () => {
  it('is nothing when the daemon has no mirrors and no insecure registries', () => {
    expect(registriesConf({ mirrors: [], insecure: [] })).toBeUndefined();
  });

  it('docker.io mirrors become [[registry.mirror]] of docker.io; an http:// mirror or an insecure one is insecure', () => {
    expect(
      registriesConf({ mirrors: ['http://127.0.0.1:5000/', 'https://mirror.gcr.io'], insecure: ['127.0.0.1:5000', 'docker.io'] }),
    ).toBe(
      [
        "# Written by werf-run from the Docker engine's registry settings (/info RegistryConfig).",
        '',
        '[[registry]]',
        'prefix = "docker.io"',
        'location = "docker.io"',
        '',
        '[[registry.mirror]]',
        'location = "127.0.0.1:5000"',
        'insecure = true',
        '',
        '[[registry.mirror]]',
        'location = "mirror.gcr.io"',
        '',
        '[[registry]]',
        'location = "127.0.0.1:5000"',
        'insecure = true',
        '',
      ].join('\n'),
    );
  });

  it('insecure registries alone, quoted for TOML', () => {
    expect(registriesConf({ mirrors: [], insecure: ['registry.corp:5000'] })).toContain(
      '[[registry]]\nlocation = "registry.corp:5000"\ninsecure = true\n',
    );
  });

  it("goes where rootless buildah reads it, merged with the image's own registries.conf", () => {
    expect(containersPaths('/home/build')).toEqual({
      dropIn: '/home/build/.config/containers/registries.conf.d/50-werf-run.conf',
      certsDir: '/home/build/.config/containers/certs.d',
    });
  });

  it("hands docker's certs.d files buildah reads (CA .crt, client .cert/.key; the key secret)", () => {
    expect(certFilesFor(['ca.crt', 'client.cert', 'client.key', 'README'])).toEqual([
      { file: 'ca.crt', secret: false },
      { file: 'client.cert', secret: false },
      { file: 'client.key', secret: true },
    ]);
  });
});
