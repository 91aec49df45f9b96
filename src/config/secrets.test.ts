import { describe, expect, it } from 'vitest';
import { isSecretEntry, isSecretName, redactEnvEntry, redactWerfArgs } from './secrets.js';

describe('what counts as a secret', () => {
  it.each(['SMTP_PASS', 'DB_PWD', 'GPG_PASSPHRASE', 'SSH_KEY_PASSPHRASE_FILE', 'GH_PAT', 'GITHUB_PAT', 'SLACK_WEBHOOK_URL', 'SENTRY_DSN'])(
    '%s by its name',
    (name) => {
      expect(isSecretName(name)).toBe(true);
    },
  );

  it.each(['PATH', 'PWD', 'OLDPWD', 'PASSENGER', 'COMPASS_DIR', 'PATTERN', 'DSN_HOST_LIST'])('%s is no secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  it('URLs with userinfo (a token alone too) and webhook URLs, by their value', () => {
    expect(redactEnvEntry('REPO=https://oauth2:glpat-x@gitlab.example/a.git')).toBe('REPO=https://oauth2:<redacted>@gitlab.example/a.git');
    expect(redactEnvEntry('REPO=https://ghp_abc@github.com/a.git')).toBe('REPO=https://<redacted>@github.com/a.git');
    expect(redactEnvEntry('NOTIFY=https://hooks.slack.com/services/T0/B0/XYZ')).toBe('NOTIFY=<redacted webhook URL>');
    expect(isSecretEntry('NOTIFY', 'https://discord.com/api/webhooks/1/abc')).toBe(true);
    expect(isSecretEntry('HOME_PAGE', 'https://werf.io/docs')).toBe(false);
  });

  it('WERF_SET_* values under secret-looking keys', () => {
    expect(redactEnvEntry('WERF_SET_DB=global.db.password=hunter2')).toBe('WERF_SET_DB=global.db.password=<redacted>');
    expect(isSecretEntry('WERF_SET_DB', 'global.db.password=hunter2')).toBe(true);
    expect(isSecretEntry('WERF_SET_REPLICAS', 'replicas=3')).toBe(false);
  });
});

describe("werf's --set arguments as printed", () => {
  it('masks the values of secret-looking keys, in every form', () => {
    expect(
      redactWerfArgs([
        'converge',
        '--set',
        'a.token=t1,replicas=2',
        '--set-string=db.password=p',
        '--set-string',
        'name=x',
        '--repo',
        'https://u:pw@r.example/x',
      ]),
    ).toEqual([
      'converge',
      '--set',
      'a.token=<redacted>,replicas=2',
      '--set-string=db.password=<redacted>',
      '--set-string',
      'name=x',
      '--repo',
      'https://u:<redacted>@r.example/x',
    ]);
  });
});
