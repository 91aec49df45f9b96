import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import {
  dockerConfigVars,
  isGroup11Image,
  kubeconfigVars,
  refuseWhatCannotWork,
  werfCommand,
  werfPathVars,
  type EnvTranslation,
} from './werf-in-container.js';

/** The three host-path translations together, as the host readers apply them. */
function translateHostPaths(input: { env: Record<string, string>; dockerConfigDir?: string; kubeconfig?: string }): EnvTranslation {
  const parts = [werfPathVars(input.env), dockerConfigVars(input.env, input.dockerConfigDir), kubeconfigVars(input.env, input.kubeconfig)];
  return {
    drop: parts.flatMap((p) => p.drop),
    set: Object.assign({}, ...parts.map((p) => p.set)) as Record<string, string>,
    notes: parts.flatMap((p) => p.notes),
  };
}

const refuse = (werfArgs: string[], env: Record<string, string> = {}, image = 'ghcr.io/werf/werf:2-stable', mountDockerSocket = false) => {
  try {
    refuseWhatCannotWork({ werfArgs, env, image, mountDockerSocket });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
};

describe('refuseWhatCannotWork', () => {
  it.each([
    [['run', 'app'], {}, 'werf run is "not implemented for Buildah mode"', 'docker run'],
    [['compose', 'up'], {}, 'werf compose runs the docker CLI', 'docker compose'],
    [['ci-env', 'gitlab', '--as-file'], {}, 'that container is gone before your next command', '"ciEnv": "gitlab"'],
    [['build'], { WERF_BUILDAH_MODE: 'native-rootless' }, 'WERF_BUILDAH_MODE=native-rootless', 'unset WERF_BUILDAH_MODE'],
    [['build'], { WERF_BUILDAH_MODE: 'docker' }, 'WERF_BUILDAH_MODE=docker makes werf use a Docker server', 'mountDockerSocket: true'],
  ])('refuses %j with %j (exit 2, why and what instead)', (args, env, why, fix) => {
    const error = refuse(args, env);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain(why);
    expect(error?.remedy).toContain(fix);
  });

  it('accepts WERF_BUILDAH_MODE=docker with the engine socket mounted, and the modes the image allows', () => {
    expect(refuse(['build'], { WERF_BUILDAH_MODE: 'docker' }, 'ghcr.io/werf/werf:2', true)).toBeUndefined();
    expect(refuse(['converge'], { WERF_BUILDAH_MODE: 'auto' })).toBeUndefined();
  });

  it('refuses a group 1.1 image unless werf gets the engine (socket + WERF_BUILDAH_MODE=docker)', () => {
    expect(refuse(['build'], {}, 'ghcr.io/werf/werf:1.1-stable')?.message).toContain('of group 1.1');
    expect(refuse(['build'], { WERF_BUILDAH_MODE: 'docker' }, 'ghcr.io/werf/werf:1.1-stable', true)).toBeUndefined();
  });
});

describe('isGroup11Image / werfCommand', () => {
  it.each([
    ['ghcr.io/werf/werf:1.1', true],
    ['ghcr.io/werf/werf:1.1-stable-alpine', true],
    ['registry.werf.io/werf/werf:v1.1.27-ubuntu', true],
    ['ghcr.io/werf/werf:1.2-stable', false],
    ['ghcr.io/werf/werf:1.12', false],
    ['ghcr.io/werf/werf', false],
  ])('%s -> %s', (image, group11) => expect(isGroup11Image(image)).toBe(group11));
  it('finds the command after global flags', () => expect(werfCommand(['--log-debug', 'build', 'app'])).toBe('build'));
});

describe('translateHostPaths', () => {
  it('drops WERF_HOME and WERF_TMP_DIR, with a note each', () => {
    const t = translateHostPaths({ env: { WERF_HOME: '/home/me/.werf', WERF_TMP_DIR: '/tmp/w', PATH: '/bin' } });
    expect(t.drop).toEqual(['WERF_HOME', 'WERF_TMP_DIR']);
    expect(t.notes[0]).toBe(
      'WERF_HOME=/home/me/.werf not passed: in the container werf keeps its home and temporary files in the werf-run volumes',
    );
  });
  it('points docker config and kubeconfig variables at the files handed in', () => {
    const t = translateHostPaths({
      env: { WERF_DOCKER_CONFIG: '/h/d', KUBECONFIG: '/a:/b', WERF_KUBE_CONFIG_BASE64: 'eHh4' },
      dockerConfigDir: '/home/build/.docker',
      kubeconfig: '/home/build/.kube/config',
    });
    expect(t.set).toEqual({ WERF_DOCKER_CONFIG: '/home/build/.docker', KUBECONFIG: '/home/build/.kube/config' });
    expect(t.drop).toEqual(['WERF_KUBE_CONFIG_BASE64']);
    expect(t.notes.join('\n')).not.toContain('eHh4');
  });
  it('drops them when nothing is handed in', () => {
    expect(translateHostPaths({ env: { DOCKER_CONFIG: '/h/d', WERF_KUBECONFIG: '/k' } }).drop).toEqual([
      'DOCKER_CONFIG',
      'WERF_KUBECONFIG',
    ]);
  });
});

describe('DOCKER_AUTH_CONFIG when the credentials are handed in as a file', () => {
  it('is not passed (its auths are in the file), unless werf ci-env is told to read it', () => {
    const env = { DOCKER_AUTH_CONFIG: '{"auths":{}}' };
    expect(dockerConfigVars(env, '/home/build/.docker').drop).toEqual(['DOCKER_AUTH_CONFIG']);
    expect(dockerConfigVars({ ...env, WERF_USE_DOCKER_AUTH_CONFIG: '1' }, '/home/build/.docker').drop).toEqual([]);
    // No file handed in (forward.dockerConfig false): werf has only the variable.
    expect(dockerConfigVars(env, undefined).drop).toEqual([]);
  });
});
