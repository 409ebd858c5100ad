/**
 * What resolveRenewSettings refuses before any hook runs: bad, duplicate or too many names, one
 * deploy file named twice, a directory as a deploy file, and durations without a unit.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings, type RenewResolveContext } from '../../../src/config/renew-options.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/pki.js';

const challenge = { type: 'http-01', webroot: '/var/www' };

function config(certificates: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return validateConfig({ acme: { server: 'letsencrypt' }, certificates: certificates.map((c) => ({ challenge, ...c })), ...extra }, 'c.yaml');
}

function ctx(dir: string): RenewResolveContext {
  return { cwd: dir, env: {}, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state') };
}

async function refusal(certificates: Array<Record<string, unknown>>, dir = tempDir(), extra: Record<string, unknown> = {}): Promise<ConfigError> {
  const err = await resolveRenewSettings(config(certificates, extra), ctx(dir)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  expect(err.exitCode).toBe(2);
  return err;
}

describe('domain names', () => {
  it('lower-cases names and drops one trailing dot', async () => {
    const dns01 = { type: 'dns-01', provider: 'exec', command: ['/bin/sh'] };
    const settings = await resolveRenewSettings(config([{ name: 'www', domains: ['WWW.Example.COM.', 'example.com', '*.Example.com', '192.0.2.1', '2001:DB8::1'], challenge: dns01 }]), ctx(tempDir()));
    expect(settings.certificates[0]!.domains).toEqual(['www.example.com', 'example.com', '*.example.com', '192.0.2.1', '2001:db8::1']);
  });

  it('refuses the same name twice however it is written, naming both entries', async () => {
    const err = await refusal([{ name: 'www', domains: ['example.com', 'www.example.com', 'Example.com.'] }]);
    expect(err.message).toBe('certificates[0] (www).domains[2]: "Example.com." is the same name as domains[0] ("example.com")');
    expect((await refusal([{ name: 'a', domains: ['a.test'] }, { name: 'b', domains: ['B.test', 'b.test'] }])).message).toMatch(/^certificates\[1\] \(b\)\.domains\[1\]: "b\.test" is the same name/);
  });

  it('refuses what is not a host name, naming the certificate and the name', async () => {
    const cases: Array<[string, RegExp]> = [
      ['https://example.com', /is a URL/],
      ['example.com:443', /no port/],
      ['a.test,b.test', /comma/],
      ['www example.com', /white space/],
      ['example..com', /empty label/],
      ['.example.com', /empty label/],
      ['example.com..', /empty label/],
      ['www.*.example.com', /wildcard/],
      ['*foo.example.com', /wildcard/],
      ['-www.example.com', /character a host name cannot hold/],
      ['under_score.example.com', /character a host name cannot hold/],
      ['example.com/path', /slash/],
    ];
    for (const [name, why] of cases) {
      const err = await refusal([{ name: 'www', domains: ['ok.example.com', name] }]);
      expect(err.message).toMatch(/^certificates\[0\] \(www\)\.domains\[1\]: "/);
      expect(err.message, name).toMatch(why);
    }
  });

  it('writes internationalised names as A-labels, so the CSR, the order and status hold one form', async () => {
    const dns01 = { type: 'dns-01', provider: 'exec', command: ['/bin/sh'] };
    const settings = await resolveRenewSettings(
      config([{ name: 'idn', domains: ['Bücher.example', '*.bücher.example', 'straße.de.', 'xn--n3h.example', 'ｗｗｗ.example.com'], challenge: dns01 }]),
      ctx(tempDir()),
    );
    expect(settings.certificates[0]!.domains).toEqual(['xn--bcher-kva.example', '*.xn--bcher-kva.example', 'xn--strae-oqa.de', 'xn--n3h.example', 'www.example.com']);
  });

  it('refuses an invalid internationalised name, naming it, and compares names in their A-label form', async () => {
    for (const bad of ['xn--zz.example', 'ex\u200dample.com', 'xn--a.example']) {
      const err = await refusal([{ name: 'www', domains: ['ok.example.com', bad] }]);
      expect(err.message, bad).toBe(`certificates[0] (www).domains[1]: "${bad}" is not a valid internationalised domain name (IDNA, UTS #46): check for a character a host name cannot hold, or an xn-- label that is not valid punycode`);
    }
    // 60 characters of U-label make more than 63 of A-label.
    expect((await refusal([{ name: 'www', domains: [`${'ü'.repeat(60)}.example`] }])).message).toMatch(/has a label longer than 63 characters once written with A-labels \(xn--/);
    expect((await refusal([{ name: 'www', domains: ['bücher.example', 'xn--bcher-kva.example'] }])).message).toBe(
      'certificates[0] (www).domains[1]: "xn--bcher-kva.example" is the same name as domains[0] ("bücher.example")',
    );
  });

  it("refuses more names than the CA takes: 100 by default (Let's Encrypt), acme.maxNames otherwise", async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i}.example.com`);
    await expect(resolveRenewSettings(config([{ name: 'big', domains: names(100) }]), ctx(tempDir()))).resolves.toBeDefined();
    const err = await refusal([{ name: 'ok', domains: ['a.test'] }, { name: 'big', domains: names(101) }]);
    expect(err.message).toBe('certificates[1] (big): 101 names, more than the 100 the CA takes in one certificate');
    expect(err.hint).toMatch(/acme\.maxNames/);
    expect((await refusal([{ name: 'few', domains: names(3) }], tempDir(), { acme: { server: 'letsencrypt', maxNames: 2 } })).message).toMatch(/3 names, more than the 2/);
    // A certificate with its own CA section takes that CA's limit.
    await expect(resolveRenewSettings(config([{ name: 'big', domains: names(150), acme: { maxNames: 200 } }]), ctx(tempDir()))).resolves.toBeDefined();
  });
});

describe('deploy files', () => {
  it('refuses one file named twice within a certificate', async () => {
    const pairs: Array<[Record<string, string>, string, string]> = [
      [{ cert: 'x.pem', key: 'x.pem' }, 'key', 'cert'],
      [{ fullchain: 'live/x.pem', key: './live/x.pem' }, 'key', 'fullchain'],
      [{ cert: 'x.pem', fullchain: 'x.pem', key: 'k.pem' }, 'fullchain', 'cert'],
      [{ combined: 'x.pem', chain: 'x.pem' }, 'combined', 'chain'],
    ];
    for (const [deploy, second, first] of pairs) {
      const dir = tempDir();
      const err = await refusal([{ name: 'www', domains: ['a.test'], deploy }], dir);
      expect(err.message).toMatch(new RegExp(`^certificates\\[0\\] \\(www\\)\\.deploy\\.${second} and certificates\\[0\\] \\(www\\)\\.deploy\\.${first} are the same file /`));
    }
  });

  it('refuses two certificates deploying to one file, comparing resolved paths', async () => {
    const dir = tempDir();
    const err = await refusal(
      [
        { name: 'www', domains: ['www.test'], deploy: { fullchain: 'ssl/site.pem', key: 'ssl/www.key' } },
        { name: 'api', domains: ['api.test'], deploy: { fullchain: join(dir, 'ssl', 'x', '..', 'site.pem'), key: 'ssl/api.key' } },
      ],
      dir,
    );
    expect(err.message).toBe(`certificates[1] (api).deploy.fullchain and certificates[0] (www).deploy.fullchain are the same file ${join(dir, 'ssl', 'site.pem')}: one would overwrite the other`);
  });

  it('refuses a deploy file that is a directory, and accepts one that does not exist yet', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ssl'));
    const err = await refusal([{ name: 'www', domains: ['a.test'], deploy: { fullchain: 'ssl', key: 'ssl/www.key' } }], dir);
    expect(err.message).toBe(`certificates[0] (www).deploy.fullchain: ${join(dir, 'ssl')} is a directory; name the file to write in it`);
    symlinkSync(join(dir, 'ssl'), join(dir, 'linked'));
    expect((await refusal([{ name: 'www', domains: ['a.test'], deploy: { combined: 'linked' } }], dir)).message).toMatch(/deploy\.combined: .* is a directory/);
    const settings = await resolveRenewSettings(config([{ name: 'www', domains: ['a.test'], deploy: { fullchain: 'ssl/new/fullchain.pem', key: 'ssl/new/key.pem' } }]), ctx(dir));
    expect(settings.certificates[0]!.deploy?.targets.fullchain).toBe(join(dir, 'ssl', 'new', 'fullchain.pem'));
  });
});

describe('durations', () => {
  it('refuses a bare number at load, naming the key', () => {
    const bad = (c: Record<string, unknown>, extra: Record<string, unknown> = {}) => () => config([{ name: 'www', domains: ['a.test'], ...c }], extra);
    expect(bad({ verifyTimeout: 5 })).toThrow(/certificates\[0\] \(www\)\.verifyTimeout: 5 has no unit: write 5s or 5000ms/);
    expect(bad({ deploy: { combined: 'x.pem', commandTimeout: 60000 } })).toThrow(/certificates\[0\] \(www\)\.deploy\.commandTimeout: 60000 has no unit: write 60000ms or 60s/);
    expect(bad({}, { acme: { server: 'letsencrypt', timeout: 30 } })).toThrow(/acme\.timeout: 30 has no unit/);
    expect(bad({}, { policy: { minRenewalInterval: 3600 } })).toThrow(/policy\.minRenewalInterval: 3600 has no unit/);
    expect(bad({ challenge: { type: 'dns-01', provider: 'exec', command: ['/x'], pollInterval: 250 } })).toThrow(/certificates\[0\] \(www\)\.challenge\.pollInterval: 250 has no unit/);
    expect(() => validateConfig({ inventory: { connectTimeout: 5 } }, 'c.yaml')).toThrow(/inventory\.connectTimeout: 5 has no unit/);
  });

  it('reads durations with a unit', async () => {
    const settings = await resolveRenewSettings(config([{ name: 'www', domains: ['a.test'], verifyTimeout: '2.5s' }]), ctx(tempDir()));
    expect(settings.certificates[0]!.verifyTimeoutMs).toBe(2500);
  });
});

describe('hook programs', () => {
  const dns01 = (command: string[]) => ({ type: 'dns-01', provider: 'exec', command });

  it('refuses a program path that does not exist or cannot be run, naming the hook', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'reload.sh'), '#!/bin/sh\n', { mode: 0o644 });
    mkdirSync(join(dir, 'hooks'));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ pre: [['/bin/true'], ['/usr/local/bin/no-such-hook', 'x']] }, 'certificates[0] (www).pre[1]: /usr/local/bin/no-such-hook does not exist'],
      [{ post: [[join(dir, 'hooks')]] }, `certificates[0] (www).post[0]: ${join(dir, 'hooks')} is not a file`],
      [{ deploy: { combined: 'site.pem', commands: [['./reload.sh']] } }, `certificates[0] (www).deploy.commands[0]: ./reload.sh (${join(dir, 'reload.sh')}) is not executable by this user (mode 0644)`],
      [{ challenge: dns01(['/etc/certfleet/dns-hook.sh']) }, 'certificates[0] (www).challenge.command: /etc/certfleet/dns-hook.sh does not exist'],
    ];
    for (const [fields, message] of cases) {
      const err = await refusal([{ name: 'www', domains: ['a.test'], ...fields }], dir);
      expect(err.message).toBe(message);
      expect(err.hint).toBeDefined();
    }
  });

  it('looks a bare name up on the PATH of the environment it is given, not its own', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'my-reload'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'bin', 'not-runnable'), '#!/bin/sh\n', { mode: 0o644 });
    const settings = (env: Record<string, string>, commands: string[][]) =>
      resolveRenewSettings(config([{ name: 'www', domains: ['a.test'], deploy: { combined: 'site.pem', commands } }]), { ...ctx(dir), env });
    await expect(settings({ PATH: `/usr/bin:${join(dir, 'bin')}` }, [['my-reload'], ['sh', '-c', 'true']])).resolves.toBeDefined();
    await expect(settings({ PATH: '/usr/bin:/bin' }, [['my-reload']])).rejects.toThrow('certificates[0] (www).deploy.commands[0]: "my-reload" was not found on PATH (/usr/bin:/bin)');
    await expect(settings({ PATH: join(dir, 'bin') }, [['not-runnable']])).rejects.toThrow(/"not-runnable" was found on PATH as .*not-runnable, which is not executable/);
    // No PATH in the map: what spawn uses then, never this process's PATH.
    await expect(settings({}, [['my-reload']])).rejects.toThrow(/"my-reload" was not found on PATH \(\/usr\/bin:\/bin\)/);
  });
});
