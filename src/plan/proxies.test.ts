import { describe, expect, it } from 'vitest';
import { proxyEnv } from './proxies.js';

const run = (over: Partial<Parameters<typeof proxyEnv>[0]>) =>
  proxyEnv({ env: {}, proxies: {}, engineHost: 'unix:///var/run/docker.sock', fixed: {}, configFile: '/h/.docker/config.json', ...over });

describe('proxyEnv', () => {
  it('passes HTTP_PROXY, HTTPS_PROXY, NO_PROXY in both cases from the environment', () => {
    const out = run({ env: { HTTPS_PROXY: 'http://p:3128', no_proxy: 'localhost', FTP_PROXY: 'x', PATH: '/bin' } });
    expect(out.set).toEqual({ HTTPS_PROXY: 'http://p:3128', no_proxy: 'localhost' });
    expect(out.notes).toEqual(["proxy: HTTPS_PROXY, no_proxy passed from this machine's environment"]);
  });

  it("applies the docker CLI's proxies for the engine's host, else default, in both cases", () => {
    const proxies = { default: { httpProxy: 'http://d:1' }, 'tcp://docker:2376': { httpsProxy: 'http://t:2', noProxy: '*.local' } };
    expect(run({ proxies }).set).toEqual({ HTTP_PROXY: 'http://d:1', http_proxy: 'http://d:1' });
    expect(run({ proxies, engineHost: 'tcp://docker:2376' }).set).toEqual({
      HTTPS_PROXY: 'http://t:2',
      https_proxy: 'http://t:2',
      NO_PROXY: '*.local',
      no_proxy: '*.local',
    });
  });

  it('never overrides a variable the run sets itself (environment or env.set), as the CLI does', () => {
    const out = run({
      env: { http_proxy: 'http://mine:1' },
      fixed: { HTTP_PROXY: 'http://set:2' },
      proxies: { default: { httpProxy: 'http://cli:3' } },
    });
    expect(out.set).toEqual({ http_proxy: 'http://mine:1' });
  });
});
