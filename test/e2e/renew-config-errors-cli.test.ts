/**
 * A config that would break a deployment stops `certfleet renew` at load, exit 2, before any hook
 * runs: each case has a `pre` hook that would leave a marker file. The control case (the same
 * config without the mistake) shows the hook does run, so the marker's absence means something.
 * No CA is contacted: the control's hook fails, which ends the renewal before any order.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/pki.js';

type Certificate = Record<string, unknown>;

async function renewWith(change: (www: Certificate, dir: string) => Certificate[]): Promise<{ code: number; stderr: string; hookRan: boolean }> {
  const dir = tempDir('certfleet-config-errors-');
  const marker = join(dir, 'pre-hook-ran');
  const www: Certificate = {
    name: 'www',
    domains: ['www.example.test', 'example.test'],
    challenge: { type: 'http-01', webroot: join(dir, 'webroot') },
    // Leaves the marker, then fails: the renewal stops there, before any request to the CA.
    pre: [['sh', '-c', 'touch "$0"; exit 1', marker]],
    deploy: { fullchain: join(dir, 'tls', 'www.fullchain.pem'), key: join(dir, 'tls', 'www.key') },
    verifyTimeout: '5s',
  };
  const config = { stateDir: join(dir, 'state'), acme: { server: 'https://127.0.0.1:9/dir' }, certificates: change(www, dir) };
  const configPath = join(dir, 'certfleet.config.yaml');
  writeFileSync(configPath, stringify(config));
  const r = await runCli(['--config', configPath, 'renew'], { timeoutMs: 60_000 });
  return { code: r.code, stderr: r.stderr, hookRan: existsSync(marker) };
}

describe('renew refuses a config that would break deployment, before any hook runs', () => {
  it('control: the same config without a mistake runs the pre hook', async () => {
    const r = await renewWith((www) => [www]);
    expect(r.hookRan, r.stderr).toBe(true);
    expect(r.code).not.toBe(2);
  });

  const cases: Array<[string, (www: Certificate, dir: string) => Certificate[], RegExp]> = [
    ['a duration without a unit', (www) => [{ ...www, verifyTimeout: 5 }], /certificates\[0\] \(www\)\.verifyTimeout: 5 has no unit: write 5s or 5000ms/],
    ['the key written into the fullchain file', (www, dir) => [{ ...www, deploy: { fullchain: join(dir, 'x.pem'), key: join(dir, 'x.pem') } }], /certificates\[0\] \(www\)\.deploy\.key and certificates\[0\] \(www\)\.deploy\.fullchain are the same file/],
    [
      'two certificates deploying to one file',
      (www) => [www, { ...www, name: 'api', domains: ['api.example.test'], deploy: { ...(www.deploy as object), key: '/tmp/unused-api.key' } }],
      /certificates\[1\] \(api\)\.deploy\.fullchain and certificates\[0\] \(www\)\.deploy\.fullchain are the same file/,
    ],
    [
      'a deploy path that is a directory',
      (www, dir) => {
        mkdirSync(join(dir, 'tls'), { recursive: true });
        return [{ ...www, deploy: { fullchain: join(dir, 'tls'), key: join(dir, 'www.key') } }];
      },
      /certificates\[0\] \(www\)\.deploy\.fullchain: .*\/tls is a directory/,
    ],
    ['an upper-case duplicate name', (www) => [{ ...www, domains: ['www.example.test', 'WWW.Example.test.'] }], /certificates\[0\] \(www\)\.domains\[1\]: "WWW\.Example\.test\." is the same name as domains\[0\]/],
    ['more names than the CA takes', (www) => [{ ...www, domains: Array.from({ length: 101 }, (_, i) => `n${i}.example.test`) }], /certificates\[0\] \(www\): 101 names, more than the 100/],
    ['an invalid internationalised name', (www) => [{ ...www, domains: ['www.example.test', 'xn--zz.example.test'] }], /certificates\[0\] \(www\)\.domains\[1\]: "xn--zz\.example\.test" is not a valid internationalised domain name/],
    ['a wildcard with http-01', (www) => [{ ...www, domains: ['*.example.test'] }], /certificates\[0\] \(www\)\.domains\[0\]: "\*\.example\.test" is a wildcard name: only a dns-01 challenge can validate it/],
    ['a misspelt key', (www) => [{ ...www, deplyo: www.deploy }], /\n {2}certificates\[0\] \(www\)\.deplyo: unknown key; did you mean "deploy"\?\n/],
    ['a deploy command that does not exist', (www) => [{ ...www, deploy: { ...(www.deploy as object), commands: [['/usr/local/sbin/reload-ngnix']] } }], /certificates\[0\] \(www\)\.deploy\.commands\[0\]: \/usr\/local\/sbin\/reload-ngnix does not exist/],
    ['a post hook not on PATH', (www) => [{ ...www, post: [['certfleet-no-such-hook']] }], /certificates\[0\] \(www\)\.post\[0\]: "certfleet-no-such-hook" was not found on PATH \(/],
    [
      'a dns-01 exec hook that is not executable',
      (www, dir) => {
        writeFileSync(join(dir, 'dns-hook.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
        return [{ ...www, challenge: { type: 'dns-01', provider: 'exec', command: [join(dir, 'dns-hook.sh')] } }];
      },
      /certificates\[0\] \(www\)\.challenge\.command: .*\/dns-hook\.sh is not executable by this user \(mode 0644\)/,
    ],
  ];
  for (const [what, change, message] of cases) {
    it(what, async () => {
      const r = await renewWith(change);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.hookRan).toBe(false);
    });
  }
});

describe('no config file', () => {
  it('says where it looked, for every command that needs one (exit 2)', async () => {
    const empty = tempDir('certfleet-no-config-');
    for (const command of [['renew'], ['status'], ['issue', 'www'], ['revoke', '--all', '--dry-run']]) {
      const r = await runCli(command, { cwd: empty });
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`certfleet: no config file found: looked in ${empty} for .certfleetrc, .certfleetrc.json, .certfleetrc.yaml`);
      expect(r.stderr).toMatch(/certfleet\.config\.yaml, .* and a "certfleet" key in package\.json\n/);
      expect(r.stderr).toMatch(/hint: .*--config FILE/);
    }
  });
});
