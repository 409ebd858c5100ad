/**
 * certificates.d: which files count, both shapes of a file, each way a file can be wrong (named
 * with the certificate and the key), names unique across all files, relative paths relative to
 * the file that holds them, the fingerprint, and resolveRenewSettings eager and lazy.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkedEntry, listCertificateFiles, openSpecSource, type SpecSource } from '../../../src/config/certificate-files.js';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings, type RenewResolveContext } from '../../../src/config/renew-options.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { selectCertificates } from '../../../src/renewal/managed.js';
import { tempDir } from '../../helpers/pki.js';

const challenge = { type: 'http-01', webroot: '/var/www' };
const cert = (name: string, extra: Record<string, unknown> = {}) => ({ name, domains: [`${name}.test`], challenge, ...extra });

/** A config directory: the main file (not read here: `main` is its validated content) and certificates.d. */
function setup(files: Record<string, unknown> = {}, main: Record<string, unknown> = {}) {
  const dir = tempDir('certfleet-certd-');
  const configFile = join(dir, 'certfleet.config.yaml');
  const certd = join(dir, 'certificates.d');
  mkdirSync(certd);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(certd, name), typeof content === 'string' ? content : name.endsWith('.json') ? JSON.stringify(content) : stringify(content));
  const config = validateConfig({ acme: { server: 'letsencrypt' }, ...main }, configFile);
  return { dir, certd, configFile, config };
}

const ctx = (dir: string, configFile: string, extra: Partial<RenewResolveContext> = {}): RenewResolveContext => ({ cwd: dir, env: {}, configFile, defaultStateDir: join(dir, 'state'), ...extra });

async function open(s: ReturnType<typeof setup>): Promise<SpecSource> {
  return openSpecSource({ config: s.config, configFile: s.configFile, baseDir: s.dir, resolve: () => Promise.reject(new Error('not resolved here')) });
}

async function readAll(source: SpecSource) {
  const out = [...source.inline];
  for (const f of source.files) out.push(...(await source.read(f)));
  return out;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(err)}`);
  expect(err.exitCode).toBe(2);
  return err;
}

describe('which files count', () => {
  it('takes *.yaml, *.yml and *.json in byte order; skips dotfiles, other extensions and subdirectories', async () => {
    const s = setup({ 'b.yml': [cert('b')], 'a.yaml': [cert('a')], 'C.json': [cert('c')], '.hidden.yaml': 'not: [valid', 'web.yaml.bak': 'x', 'README': 'x', 'notes.txt': 'x' });
    mkdirSync(join(s.certd, 'nested'));
    writeFileSync(join(s.certd, 'nested', 'n.yaml'), stringify([cert('n')]));
    const source = await open(s);
    // Byte order: upper case before lower case, whatever the locale.
    expect(source.files).toEqual([join(s.certd, 'C.json'), join(s.certd, 'a.yaml'), join(s.certd, 'b.yml')]);
    expect((await readAll(source)).map((e) => e.entry.name)).toEqual(['c', 'a', 'b']);
  });

  it('has no files without certificates.d or without a config file', async () => {
    const dir = tempDir('certfleet-certd-');
    expect(await listCertificateFiles(join(dir, 'certificates.d'))).toEqual([]);
    const source = await openSpecSource({ config: {}, configFile: undefined, baseDir: dir, resolve: () => Promise.reject(new Error('no')) });
    expect(source.files).toEqual([]);
  });

  it('follows a symbolic link to a regular file', async () => {
    const s = setup();
    writeFileSync(join(s.dir, 'shared.yaml'), stringify([cert('linked')]));
    symlinkSync(join(s.dir, 'shared.yaml'), join(s.certd, 'linked.yaml'));
    expect((await readAll(await open(s))).map((e) => e.entry.name)).toEqual(['linked']);
  });

  it('refuses a directory, a FIFO or a dangling link with a spec name, naming it', async () => {
    const dirCase = setup();
    mkdirSync(join(dirCase.certd, 'web.yaml'));
    expect((await configError(open(dirCase))).message).toBe(`${join(dirCase.certd, 'web.yaml')} is not a regular file`);

    const fifoCase = setup();
    execFileSync('mkfifo', [join(fifoCase.certd, 'pipe.json')]);
    expect((await configError(open(fifoCase))).message).toBe(`${join(fifoCase.certd, 'pipe.json')} is not a regular file`);

    const linkCase = setup();
    symlinkSync(join(linkCase.dir, 'gone.yaml'), join(linkCase.certd, 'gone.yaml'));
    expect((await configError(open(linkCase))).message).toBe(`cannot read ${join(linkCase.certd, 'gone.yaml')}: ENOENT`);
  });

  it('refuses a certificates.d that is not a directory', async () => {
    const dir = tempDir('certfleet-certd-');
    writeFileSync(join(dir, 'certificates.d'), 'x');
    expect((await configError(listCertificateFiles(join(dir, 'certificates.d')))).message).toBe(`${join(dir, 'certificates.d')} is not a directory`);
  });

  it('names a file that cannot be read when it is read (gone since it was listed)', async () => {
    const s = setup({ 'web.yaml': [cert('www')] });
    const source = await open(s);
    rmSync(join(s.certd, 'web.yaml'));
    expect((await configError(source.read(source.files[0]!))).message).toBe(`cannot read certificates.d/web.yaml (${join(s.certd, 'web.yaml')}): ENOENT`);
    expect((await configError(source.fingerprint())).message).toContain('cannot read certificates.d/web.yaml');
  });
});

describe('a file', () => {
  it('is a list of entries or { certificates: [...] }, in YAML or JSON', async () => {
    // object.json with the byte order mark some editors write.
    const s = setup({ 'list.yaml': [cert('l1'), cert('l2')], 'object.yml': { certificates: [cert('o1')] }, 'list.json': [cert('j1')], 'object.json': `\uFEFF${JSON.stringify({ certificates: [cert('j2')] })}` });
    const entries = await readAll(await open(s));
    expect(entries.map((e) => [e.entry.name, e.where, e.file])).toEqual([
      ['j1', 'certificates.d/list.json: certificates[0] (j1)', join(s.certd, 'list.json')],
      ['l1', 'certificates.d/list.yaml: certificates[0] (l1)', join(s.certd, 'list.yaml')],
      ['l2', 'certificates.d/list.yaml: certificates[1] (l2)', join(s.certd, 'list.yaml')],
      ['j2', 'certificates.d/object.json: certificates[0] (j2)', join(s.certd, 'object.json')],
      ['o1', 'certificates.d/object.yml: certificates[0] (o1)', join(s.certd, 'object.yml')],
    ]);
    expect(entries.every((e) => e.baseDir === s.certd)).toBe(true);
    // Validated by the main file's schema: its defaults and types.
    expect(entries[0]!.entry).toEqual(cert('j1'));
  });

  it('names the file, the certificate and the key of a schema problem, as the main file does', async () => {
    const s = setup({ 'web.yaml': [cert('a'), cert('www', { deploy: { key: 5 } }), cert('b', { deplyo: {} })] });
    const source = await open(s);
    const err = await configError(source.read(source.files[0]!));
    expect(err.message).toBe(
      `invalid config file ${join(s.certd, 'web.yaml')}:\n` +
        '  certificates[2] (b).deplyo: unknown key; did you mean "deploy"?\n' +
        '  certificates[1] (www).deploy.key: Invalid input: expected string, received number',
    );
  });

  it('allows nothing beside `certificates` in the object shape', async () => {
    const s = setup({ 'web.yaml': { certificates: [cert('www')], acme: { server: 'letsencrypt' } } });
    const source = await open(s);
    expect((await configError(source.read(source.files[0]!))).message).toBe(`invalid config file ${join(s.certd, 'web.yaml')}:\n  acme: unknown key (known here: certificates)`);
  });

  it('refuses another top-level shape, an empty file, bad YAML and bad JSON', async () => {
    const cases: Array<[string, string, string]> = [
      ['scalar.yaml', 'just text\n', '(top level): a list of certificates, or { certificates: [...] }, not a string'],
      ['empty.yaml', '# all commented out\n', 'it holds nothing'],
      ['object.yaml', 'certificate: []\n', 'certificate: unknown key; did you mean "certificates"?'],
      ['bad.yaml', 'certificates: [\n', 'not valid YAML'],
      ['dup.yaml', 'certificates: []\ncertificates: []\n', 'not valid YAML: Map keys must be unique'],
      ['bad.json', '[{"name": ', 'not valid JSON'],
    ];
    for (const [name, text, expected] of cases) {
      const s = setup({ [name]: text });
      const source = await open(s);
      const err = await configError(source.read(source.files[0]!));
      expect(err.message, name).toContain(`invalid config file ${join(s.certd, name)}`);
      expect(err.message, name).toContain(expected);
    }
  });
});

describe('names', () => {
  it('are unique across files: a duplicate names both places', async () => {
    const s = setup({ 'a.yaml': [cert('x'), cert('www')], 'b.yaml': [cert('y'), cert('www')] });
    const err = await configError(readAll(await open(s)));
    expect(err.message).toBe('certificates.d/b.yaml: certificates[1] (www): the name "www" is also certificates.d/a.yaml: certificates[1] (www)');
  });

  it('are unique across the main file and the files', async () => {
    const s = setup({ 'a.yaml': [cert('www')] }, { certificates: [cert('other'), cert('www')] });
    const err = await configError(readAll(await open(s)));
    expect(err.message).toBe('certificates.d/a.yaml: certificates[0] (www): the name "www" is also certificates[1] (www)');
  });

  it('are unique within a file (the schema rule of the main file)', async () => {
    const s = setup({ 'a.yaml': [cert('www'), cert('www')] });
    expect((await configError(readAll(await open(s)))).message).toContain('certificates[1] (www).name: duplicate certificate name "www"');
  });

  it('may be read again from the same file', async () => {
    const s = setup({ 'a.yaml': [cert('www')] });
    const source = await open(s);
    await source.read(source.files[0]!);
    await expect(source.read(source.files[0]!)).resolves.toHaveLength(1);
  });
});

describe('resolveRenewSettings with certificates.d', () => {
  it('resolves the main file then each file in order, relative paths against the file that holds them', async () => {
    const s = setup(
      {
        'web.yaml': [cert('www', { challenge: { type: 'http-01', webroot: 'webroot' }, deploy: { fullchain: 'tls/www.pem', key: '../tls/www.key' } })],
        'z.json': [cert('own-ca', { acme: { caBundle: 'own-ca.pem' } })],
      },
      { acme: { server: 'https://acme.test/dir', caBundle: 'main-ca.pem' }, certificates: [cert('inline', { deploy: { fullchain: 'tls/inline.pem', key: 'tls/inline.key' } })] },
    );
    writeFileSync(join(s.dir, 'main-ca.pem'), 'MAIN CA');
    writeFileSync(join(s.certd, 'own-ca.pem'), 'OWN CA');
    const settings = await resolveRenewSettings(s.config, ctx(s.dir, s.configFile));
    expect(settings.certificates.map((c) => c.name)).toEqual(['inline', 'www', 'own-ca']);
    const [inline, www, ownCa] = settings.certificates;
    expect(inline!.deploy!.targets).toMatchObject({ fullchain: join(s.dir, 'tls/inline.pem'), key: join(s.dir, 'tls/inline.key') });
    expect(www!.deploy!.targets).toMatchObject({ fullchain: join(s.certd, 'tls/www.pem'), key: join(s.dir, 'tls/www.key') });
    expect(www!.challenge).toMatchObject({ webroot: join(s.certd, 'webroot') });
    // The top-level acme.caBundle is the main file's, even for a certificate in certificates.d.
    expect(www!.ca.caBundlePem).toBe('MAIN CA');
    expect(ownCa!.ca.caBundlePem).toBe('OWN CA');
    expect(settings.specs.files).toEqual([join(s.certd, 'web.yaml'), join(s.certd, 'z.json')]);
  });

  it('names the file of an entry it cannot resolve', async () => {
    const s = setup({ 'web.yaml': [cert('www', { domains: ['bad..name'] })] });
    const err = await configError(resolveRenewSettings(s.config, ctx(s.dir, s.configFile)));
    expect(err.message).toMatch(/^certificates\.d\/web\.yaml: certificates\[0\] \(www\)\.domains\[0\]: "bad\.\.name"/);
  });

  it('refuses one deploy file named by certificates in two files', async () => {
    const s = setup({ 'a.yaml': [cert('a', { deploy: { fullchain: '/srv/tls/site.pem', key: '/srv/tls/a.key' } })], 'b.yaml': [cert('b', { deploy: { fullchain: '/srv/tls/site.pem', key: '/srv/tls/b.key' } })] });
    const err = await configError(resolveRenewSettings(s.config, ctx(s.dir, s.configFile)));
    expect(err.message).toBe('certificates.d/b.yaml: certificates[0] (b).deploy.fullchain and certificates.d/a.yaml: certificates[0] (a).deploy.fullchain are the same file /srv/tls/site.pem: one would overwrite the other');
  });

  it('with lazyCertificates resolves none and parses nothing in certificates.d', async () => {
    const s = setup({ 'broken.yaml': 'certificates: [\n', 'web.yaml': [cert('www')] }, { certificates: [cert('inline')] });
    await configError(resolveRenewSettings(s.config, ctx(s.dir, s.configFile)));
    const settings = await resolveRenewSettings(s.config, ctx(s.dir, s.configFile, { lazyCertificates: true }));
    expect(settings.certificates).toEqual([]);
    expect(settings.specs.inline.map((e) => e.where)).toEqual(['certificates[0] (inline)']);
    expect(settings.specs.files).toEqual([join(s.certd, 'broken.yaml'), join(s.certd, 'web.yaml')]);
    // One by one, as the shared store's run resolves what it claims.
    const [www] = await settings.specs.read(join(s.certd, 'web.yaml'));
    expect((await settings.specs.resolve(www!)).domains).toEqual(['www.test']);
  });

  it('says where certificates may be when there are none', async () => {
    const s = setup();
    const settings = await resolveRenewSettings(s.config, ctx(s.dir, s.configFile));
    expect(() => selectCertificates(settings, [])).toThrow(UsageError);
    expect(() => selectCertificates(settings, [])).toThrow(/certificates\.d/);
  });
});

describe('fingerprint', () => {
  const files = { 'a.yaml': [cert('a')], 'b.json': [cert('b')] };
  const main = { policy: { maxLifetimeDays: 90 }, certificates: [cert('inline')] };

  it('is the same for the same specs, however often it is taken, and ignores what is not a spec', async () => {
    const s = setup(files, main);
    const first = await (await open(s)).fingerprint();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await (await open(s)).fingerprint()).toBe(first);
    // Sections that are not specs, files that are not spec files, a subdirectory.
    const other = { ...s, config: validateConfig({ acme: { server: 'letsencrypt' }, ...main, stateDir: '/elsewhere', inventory: { paths: ['/etc/ssl'] } }, s.configFile) };
    writeFileSync(join(s.certd, '.web.yaml.swp'), 'x');
    writeFileSync(join(s.certd, 'a.yaml.bak'), 'x');
    mkdirSync(join(s.certd, 'old'));
    writeFileSync(join(s.certd, 'old', 'c.yaml'), stringify([cert('c')]));
    expect(await (await open(other)).fingerprint()).toBe(first);
  });

  it('changes with any byte of a file, a file added, removed or renamed', async () => {
    const changes: Record<string, (certd: string) => void> = {
      'a byte added the parser would not see': (certd) => writeFileSync(join(certd, 'a.yaml'), `${stringify([cert('a')])}\n`),
      'a byte changed': (certd) => writeFileSync(join(certd, 'b.json'), JSON.stringify([cert('b')]).replace('b.test', 'c.test')),
      'a file added': (certd) => writeFileSync(join(certd, 'c.yml'), stringify([cert('c')])),
      'an empty list added': (certd) => writeFileSync(join(certd, 'c.yml'), '[]'),
      'a file removed': (certd) => rmSync(join(certd, 'b.json')),
      'a file renamed': (certd) => renameSync(join(certd, 'a.yaml'), join(certd, 'a2.yaml')),
      'a file renamed to another extension': (certd) => renameSync(join(certd, 'a.yaml'), join(certd, 'a.yml')),
    };
    const seen = new Map<string, string>();
    const s = setup(files, main);
    seen.set(await (await open(s)).fingerprint(), 'unchanged');
    for (const [what, change] of Object.entries(changes)) {
      const changed = setup(files, main);
      // The same config directory path, so only the change differs.
      rmSync(s.dir, { recursive: true });
      renameSync(changed.dir, s.dir);
      change(s.certd);
      const now = await (await open(s)).fingerprint();
      expect(seen.get(now), what).toBeUndefined();
      seen.set(now, what);
    }
  });

  it('changes with the main file certificates, acme or policy section', async () => {
    const s = setup(files, main);
    const with_ = async (extra: Record<string, unknown>) => (await open({ ...s, config: validateConfig({ acme: { server: 'letsencrypt' }, ...main, ...extra }, s.configFile) })).fingerprint();
    const base = await with_({});
    const variants = [
      await with_({ certificates: [cert('inline', { domains: ['other.test'] })] }),
      await with_({ acme: { server: 'letsencrypt', profile: 'shortlived' } }),
      await with_({ policy: { maxLifetimeDays: 45 } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(4);
  });

  it('does not depend on the order keys are written in the main file', async () => {
    const s = setup({}, {});
    const a = validateConfig({ acme: { server: 'letsencrypt', profile: 'p' }, certificates: [{ name: 'x', domains: ['x.test'], challenge }] }, s.configFile);
    const b = validateConfig({ certificates: [{ challenge, domains: ['x.test'], name: 'x' }], acme: { profile: 'p', server: 'letsencrypt' } }, s.configFile);
    const fp = async (config: typeof a) => (await open({ ...s, config })).fingerprint();
    expect(await fp(a)).toBe(await fp(b));
  });
});

describe('checkedEntry (an entry read back from the shared store)', () => {
  it('passes an entry the schema takes, with its place', () => {
    const stored = { entry: cert('www'), baseDir: '/etc/certfleet/certificates.d', where: 'certificates.d/web.yaml: certificates[0] (www)', file: '/etc/certfleet/certificates.d/web.yaml' };
    expect(checkedEntry(stored)).toEqual({ ...stored, written: stored.entry });
  });

  it('refuses one it does not take, naming the place and the key', () => {
    const stored = { entry: { ...cert('www'), reuseKey: 'yes' }, baseDir: '/x', where: 'certificates.d/web.yaml: certificates[0] (www)', file: '/x/web.yaml' };
    expect(() => checkedEntry(stored)).toThrow(ConfigError);
    expect(() => checkedEntry(stored)).toThrow('certificates.d/web.yaml: certificates[0] (www): as stored: reuseKey: Invalid input: expected boolean, received string');
  });
});
