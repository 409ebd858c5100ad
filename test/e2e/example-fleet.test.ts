/**
 * README's fleet example (`npm run example:fleet` = scripts/example.sh fleet) end to end: a real
 * Pebble and PostgreSQL, the real CLI; the certificate is ordered once and each simulated host's
 * agent deploys the same serial with its key, from a config with no acme section; every process it
 * started is gone afterwards. Output goes to a temp dir (--out), so the test never touches
 * examples/shared-store/out/.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/pki.js';

describe('npm run example:fleet', () => {
  it('orders once and deploys the same serial on both hosts, every step announced, nothing left running', () => {
    const out = join(tempDir('certfleet-example-fleet-'), 'out');
    const r = spawnSync('bash', [join(repoRoot, 'scripts', 'example.sh'), 'fleet', '--out', out], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    for (let n = 1; n <= 6; n++) expect(r.stdout).toContain(`==> ${n}/6 `);
    expect(r.stdout).toContain('1 renewed, 0 not due, 0 failed');
    const serials = ['web-1', 'web-2'].map((host) => {
      const tls = join(out, 'hosts', host, 'etc', 'nginx', 'tls');
      const cert = new X509Certificate(readFileSync(join(tls, 'www.pem')));
      expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(tls, 'www.key'))))).toBe(true);
      expect(r.stdout).toContain(`host ${host}: 1 assigned: 1 deployed`);
      return cert.serialNumber;
    });
    expect(serials[0]).toBe(serials[1]);
    // The agents ran with a config of their own that has no acme section: agents never order.
    expect(Object.keys(parse(readFileSync(join(out, 'agent.yaml'), 'utf8')) as object)).toEqual(['store']);
    expect(r.stdout.match(/\$ certfleet --config \S+\/agent\.yaml agent --once --host web-\d/g)).toHaveLength(2);
    expect(r.stdout).toMatch(/Fleet example done in [\d.]+ s\./);
    // The pids it printed are gone (Pebble, challtestsrv, postgres).
    const pids = [...r.stdout.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(3);
    for (const pid of pids) expect(() => process.kill(pid, 0), `pid ${pid} still running`).toThrow();
  }, 150_000);
});
