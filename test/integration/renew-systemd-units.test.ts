/**
 * The shipped systemd units and the example config agree: under the service's ProtectSystem /
 * ReadWritePaths / StateDirectory every directory certfleet writes for the example config is
 * writable (each deploy path's directory, the certificate's home `.certfleet-NAME` beside its key,
 * the http-01 webroot, the state directory), and `systemd-analyze verify` accepts both units with
 * no complaint (it exits 0 on warnings such as an unknown key, so its output must be empty too).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { deployLayout, type DeployTargets } from '../../src/renewal/deploy/layout.js';
import { tempDir } from '../helpers/pki.js';

const examples = new URL('../../examples/renew/', import.meta.url).pathname;
const serviceText = readFileSync(join(examples, 'certfleet-renew.service'), 'utf8');

/** `Key=value` lines of one section; a key given several times keeps every value. */
function directives(unitText: string, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== section || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return out;
}

/**
 * Whether the service may write `path`, as systemd's mount namespace decides: ProtectSystem makes
 * /usr, /boot, /efi (yes), and /etc (full), or everything (strict) read-only; ReadWritePaths,
 * StateDirectory, ReadOnlyPaths and InaccessiblePaths set their own subtrees; the most specific wins.
 */
function writableUnder(unitText: string): (path: string) => boolean {
  const d = directives(unitText, 'Service');
  const rules: Array<{ prefix: string; writable: boolean }> = [];
  const protect = (d.get('ProtectSystem') ?? ['no']).at(-1)!;
  const readOnly = { no: [], false: [], yes: ['/usr', '/boot', '/efi'], true: ['/usr', '/boot', '/efi'], full: ['/usr', '/boot', '/efi', '/etc'], strict: ['/'] }[protect];
  if (!readOnly) throw new Error(`ProtectSystem=${protect} is not modelled by this test`);
  for (const prefix of readOnly) rules.push({ prefix, writable: false });
  const paths = (key: string) => (d.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean).map((p) => p.replace(/^[-+]+/, ''));
  for (const p of paths('ReadOnlyPaths')) rules.push({ prefix: p, writable: false });
  for (const p of paths('InaccessiblePaths')) rules.push({ prefix: p, writable: false });
  for (const p of paths('ReadWritePaths')) rules.push({ prefix: p, writable: true });
  for (const p of paths('StateDirectory')) rules.push({ prefix: join('/var/lib', p), writable: true });
  return (path) => {
    const matching = rules.filter((r) => r.prefix === '/' || path === r.prefix || path.startsWith(`${r.prefix}/`));
    matching.sort((a, b) => b.prefix.length - a.prefix.length);
    return matching[0]?.writable ?? true;
  };
}

/** Every directory a renew run writes for this config, with why. */
async function writtenDirectories(configPath: string): Promise<Array<{ path: string; why: string }>> {
  const { config } = await loadConfig('/', configPath);
  const out: Array<{ path: string; why: string }> = [];
  if (config.stateDir) out.push({ path: config.stateDir, why: 'stateDir' });
  for (const c of config.certificates ?? []) {
    const challenge = c.challenge as { webroot?: string };
    if (challenge.webroot) out.push({ path: challenge.webroot, why: `${c.name}: http-01 webroot` });
    if (!c.deploy) continue;
    const targets = c.deploy as DeployTargets;
    const layout = deployLayout(c.name, targets);
    for (const entry of layout.entries) out.push({ path: dirname(entry.path), why: `${c.name}: deploy.${entry.kind} ${entry.path}` });
    out.push({ path: layout.home, why: `${c.name}: its home beside the key` });
  }
  return out;
}

describe('examples/renew: the systemd unit and the example config', () => {
  it('every directory renew writes for the example config is writable under the unit', async () => {
    const written = await writtenDirectories(join(examples, 'certfleet.config.yaml'));
    // The example has deploy paths in several directories under /etc; all must be found.
    expect(written.map((w) => w.why).join('\n')).toMatch(/www: deploy\.fullchain[\s\S]*wildcard: deploy\.combined[\s\S]*api: deploy\.cert/);
    const writable = writableUnder(serviceText);
    expect(written.filter((w) => !writable(w.path)).map((w) => `${w.why}: ${w.path} is read-only under the unit`)).toEqual([]);
  });

  it('the model of ProtectSystem finds a deploy directory the unit leaves read-only (so the check above can fail)', () => {
    const older = '[Service]\nProtectSystem=full\nReadWritePaths=/var/lib/certfleet /etc/nginx/tls\n';
    const writable = writableUnder(older);
    expect(writable('/etc/nginx/tls')).toBe(true);
    expect(writable('/etc/haproxy/certs')).toBe(false);
    expect(writable('/var/www/html')).toBe(true);
    const strict = writableUnder('[Service]\nProtectSystem=strict\nReadWritePaths=-/etc/nginx/tls\nStateDirectory=certfleet\n');
    expect([strict('/var/www/html'), strict('/var/lib/certfleet'), strict('/etc/nginx/tls/.certfleet-www')]).toEqual([false, true, true]);
  });

  function verify(units: Record<string, string>): { status: number | null; output: string } {
    // A root of our own: the ExecStart binary must exist for verify to pass, and the units it
    // depends on (sysinit.target, timers.target) come from this machine's systemd.
    const root = tempDir('certfleet-systemd-');
    const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((p) => existsSync(p));
    if (!systemUnits) throw new Error('no /usr/lib/systemd/system on this machine: install the Debian package systemd (scripts/install-test-deps.sh does)');
    cpSync(systemUnits, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    for (const [name, text] of Object.entries(units)) writeFileSync(join(root, 'etc/systemd/system', name), text);
    const service = Object.entries(units).find(([name]) => name.endsWith('.service'))?.[1];
    const exec = /^ExecStart=(\S+)/m.exec(service ?? '')?.[1];
    if (exec) {
      mkdirSync(join(root, dirname(exec)), { recursive: true });
      writeFileSync(join(root, exec), '#!/bin/sh\n');
      chmodSync(join(root, exec), 0o755);
    }
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...Object.keys(units).map((n) => `/etc/systemd/system/${n}`)], { encoding: 'utf8' });
    rmSync(root, { recursive: true, force: true });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('systemd-analyze not installed: run scripts/install-test-deps.sh, which installs it (Debian package systemd)');
    }
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  it('systemd-analyze verify accepts the service and the timer without a warning', () => {
    const timerText = readFileSync(join(examples, 'certfleet-renew.timer'), 'utf8');
    const r = verify({ 'certfleet-renew.service': serviceText, 'certfleet-renew.timer': timerText });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('examples/shared-store: systemd-analyze verify accepts the agent units (timer and service forms) without a warning', () => {
    const shared = new URL('../../examples/shared-store/', import.meta.url).pathname;
    for (const names of [['certfleet-agent.service', 'certfleet-agent.timer'], ['certfleet-agent-service.service']]) {
      const r = verify(Object.fromEntries(names.map((n) => [n, readFileSync(join(shared, n), 'utf8')])));
      expect(r.output, names.join(' ')).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('systemd-analyze verify complains about a broken unit (so the check above can fail)', () => {
    const r = verify({ 'certfleet-renew.service': serviceText.replace('ProtectSystem=full', 'ProtectSystem=fuller') });
    expect(r.output).toMatch(/ProtectSystem|protect system/i);
  });
});
