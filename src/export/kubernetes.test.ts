import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Pod } from 'kubernetes-models/v1';
import { specFor } from '../../test/export-fixture.js';
import { FUSE_PLUGIN, parseKubeVersion, renderKubernetes, type KubernetesOptions } from './kubernetes.js';

const options = (over: Partial<KubernetesOptions> = {}): KubernetesOptions => ({ kubeVersion: '1.30', cacheVolumes: 'emptyDir', ...over });

interface PodDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    securityContext: Record<string, unknown>;
    containers: {
      name: string;
      securityContext: Record<string, unknown>;
      resources?: unknown;
      volumeMounts: unknown[];
      command: string[];
      workingDir: string;
    }[];
    volumes: Record<string, unknown>[];
  };
}

/** Parses the YAML and validates it against the Kubernetes OpenAPI schema (kubernetes-models). */
function pod(text: string): PodDoc {
  const doc = parse(text) as PodDoc;
  new Pod(doc as unknown as ConstructorParameters<typeof Pod>[0]).validate();
  return doc;
}

describe('renderKubernetes', () => {
  it("1.30+: seccompProfile and appArmorProfile fields, uid/fsGroup 1000, emptyDir caches at build's home", () => {
    const p = pod(renderKubernetes(specFor(), options()));
    expect(p.metadata).toEqual({ name: 'werf-hello' });
    expect(p.spec.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    const [c] = p.spec.containers;
    expect(c?.securityContext).toEqual({
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
      allowPrivilegeEscalation: true,
    });
    expect(c?.command).toEqual(['werf', 'build', '--repo', 'registry.example/app']);
    expect(c?.resources).toBeUndefined();
    expect(c?.volumeMounts).toEqual([
      { name: 'project', mountPath: '/workspace' },
      { name: 'buildah-storage', mountPath: '/home/build/.local/share/containers' },
      { name: 'werf-home', mountPath: '/home/build/.werf' },
    ]);
    expect(p.spec.volumes).toEqual([
      { name: 'project', emptyDir: {} },
      { name: 'buildah-storage', emptyDir: {} },
      { name: 'werf-home', emptyDir: {} },
    ]);
  });

  it('before 1.30: AppArmor by the beta annotation on the container, not the field', () => {
    const p = pod(renderKubernetes(specFor(), options({ kubeVersion: 'v1.29.4' })));
    expect(p.metadata.annotations).toEqual({ 'container.apparmor.security.beta.kubernetes.io/werf': 'unconfined' });
    expect(p.spec.containers[0]?.securityContext.appArmorProfile).toBeUndefined();
    expect(p.spec.containers[0]?.securityContext.seccompProfile).toEqual({ type: 'Unconfined' });
  });

  it('before 1.19: seccomp by annotation too', () => {
    const p = pod(renderKubernetes(specFor(), options({ kubeVersion: '1.18' })));
    expect(p.metadata.annotations).toEqual({
      'container.seccomp.security.alpha.kubernetes.io/werf': 'unconfined',
      'container.apparmor.security.beta.kubernetes.io/werf': 'unconfined',
    });
    expect(p.spec.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: true });
  });

  it('fuse: requests github.com/fuse from a device plugin, named in a comment; not privileged', () => {
    const text = renderKubernetes(specFor({ mode: 'fuse' }), options());
    const c = pod(text).spec.containers[0];
    expect(c?.resources).toEqual({ limits: { 'github.com/fuse': 1 } });
    expect(c?.securityContext.privileged).toBeUndefined();
    expect(text).toMatch(new RegExp(`# .*${FUSE_PLUGIN.replace(/[./]/g, '\\$&')}\\n\\s+resources:`));
  });

  it('privileged only in the privileged mode; PVCs named after the cache volumes; SELinux as spc_t', () => {
    const p = pod(renderKubernetes(specFor({ mode: 'privileged', selinux: true }), options({ cacheVolumes: 'pvc' })));
    expect(p.spec.containers[0]?.securityContext).toEqual({
      seLinuxOptions: { type: 'spc_t' },
      allowPrivilegeEscalation: true,
      privileged: true,
    });
    expect(p.spec.volumes.slice(1)).toEqual([
      { name: 'buildah-storage', persistentVolumeClaim: { claimName: 'werf-run-buildah-storage' } },
      { name: 'werf-home', persistentVolumeClaim: { claimName: 'werf-run-werf-home' } },
    ]);
  });

  it('the schema check catches a wrong type (so the validation above can fail)', () => {
    const bad = renderKubernetes(specFor(), options()).replace('runAsUser: 1000', 'runAsUser: build');
    expect(() => pod(bad)).toThrow(/runAsUser/);
  });
});

describe('parseKubeVersion', () => {
  it('reads 1.30, v1.29.3 and refuses anything else, naming the value', () => {
    expect(parseKubeVersion('1.30')).toEqual({ major: 1, minor: 30 });
    expect(parseKubeVersion('v1.29.3')).toEqual({ major: 1, minor: 29 });
    expect(() => parseKubeVersion('latest')).toThrow(/--kube-version is "latest"/);
  });
});
