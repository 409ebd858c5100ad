/**
 * A state directory this user cannot use is one clear error (exit 2) naming the path and the
 * access the command needs: never "no certificate yet" from `status` about a certificate that is
 * served, never an internal error (exit 70) from a lock or key file deep in a run. Run as user
 * nobody (uid 65534, through setpriv) against a root-owned state directory holding an issued
 * certificate. Nothing here contacts a CA: every command stops before that.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CertificateStore, versionId } from '../../src/store/certificate-store.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { runCli } from '../helpers/cli.js';
import { chain, tempDir } from '../helpers/pki.js';

const isRoot = process.getuid?.() === 0;
let dir: string;

/** A state directory as renew leaves it (a version, `current`), with `mode` on the directory itself. */
async function stateDir(name: string, mode: number): Promise<string> {
  const path = join(dir, name);
  const store = new CertificateStore(path);
  const { intermediate, leaf } = await chain({ commonName: 'www.example.test', sans: ['www.example.test'], days: 30 });
  const info = parseCertificate(leaf.der).info;
  const id = versionId(new Date(), info.serialNumber);
  const files = { certPem: leaf.certPem, chainPem: intermediate.certPem, fullchainPem: leaf.certPem + intermediate.certPem, keyPem: leaf.keyPem };
  await store.addVersion('www', { id, serialNumber: info.serialNumber, notBefore: info.notBefore, notAfter: info.notAfter, domains: ['www.example.test'], issuedAt: info.notBefore }, files);
  await store.setCurrent('www', id);
  chmodSync(path, mode);
  return path;
}

function configFor(state: string): string {
  const path = join(dir, `${state.split('/').at(-1)}.yaml`);
  const config = {
    stateDir: state,
    acme: { server: 'https://127.0.0.1:9/dir', account: { acceptTermsOfService: true } },
    certificates: [{ name: 'www', domains: ['www.example.test'], challenge: { type: 'http-01', webroot: join(dir, 'webroot') } }],
  };
  writeFileSync(path, stringify(config), { mode: 0o644 });
  return path;
}

const asNobody = (config: string, args: string[]) => runCli(['--config', config, ...args], { unprivileged: true, cwd: dir, timeoutMs: 60_000 });

beforeAll(() => {
  dir = tempDir('certfleet-state-perms-');
  chmodSync(dir, 0o755); // nobody reaches the config and the state directory's name, not its contents
  mkdirSync(join(dir, 'webroot'), { mode: 0o755 });
  mkdirSync(join(dir, 'nothing-to-scan'), { mode: 0o755 });
});

describe.runIf(isRoot)('a state directory this user cannot use', () => {
  it('root-owned 0700: every command that reads or writes it exits 2 naming the path and the access it needs', async () => {
    const state = await stateDir('state-0700', 0o700);
    const config = configFor(state);
    const commands: Array<[string[], 'read' | 'read and write']> = [
      [['status'], 'read'],
      [['status', '--format', 'json'], 'read'],
      [['renew'], 'read and write'],
      [['renew', '--dry-run'], 'read'],
      [['issue', 'www'], 'read and write'],
      [['revoke', 'www', '--yes'], 'read and write'],
      [['drill', 'www'], 'read and write'],
      [['drill', 'www', '--dry-run'], 'read'],
      [['account', 'show'], 'read and write'],
      [['report', '--state-dir', state, join(dir, 'nothing-to-scan')], 'read'],
    ];
    for (const [args, access] of commands) {
      const r = await asNobody(config, args);
      const what = `${args.join(' ')}: ${r.stderr}`;
      expect(r.code, what).toBe(2);
      const needs = access === 'read' ? 'read access \\(r-x\\)' : 'read and write access \\(rwx\\)';
      const verb = access === 'read' ? 'read' : 'read and written';
      expect(r.stderr, what).toMatch(new RegExp(`^certfleet: state directory ${state} \\(owner uid 0, mode 0700\\) cannot be ${verb} by uid 65534 \\(EACCES\\): this command needs ${needs}\\n`, 'm'));
      expect(r.stderr, what).toMatch(/^hint: run certfleet as the user that owns the state directory/m);
      expect(r.stderr, what).not.toMatch(/internal error/);
      expect(r.stdout, what).not.toMatch(/no certificate yet/);
    }
  });

  it('readable but not writable: renew is refused for want of write access; status names the file it cannot read', async () => {
    const state = await stateDir('state-0755', 0o755);
    chmodSync(join(state, 'certificates'), 0o755);
    chmodSync(join(state, 'certificates', 'www'), 0o755);
    const config = configFor(state);
    const renew = await asNobody(config, ['renew']);
    expect(renew.code, renew.stderr).toBe(2);
    expect(renew.stderr).toMatch(/state directory .*state-0755 \(owner uid 0, mode 0755\) cannot be read and written by uid 65534 \(EACCES\): this command needs read and write access/);

    // The versions inside are the owner's (0700, they hold keys): status names what it cannot read.
    const status = await asNobody(config, ['status']);
    expect(status.code, status.stderr).toBe(2);
    expect(status.stderr).toMatch(/certfleet: .*state-0755\/certificates\/www\/versions\/.* in the state directory cannot be read by uid 65534 \(EACCES\)/);
    expect(status.stdout).not.toMatch(/no certificate yet/);
  });

  it("one certificate's directory unreadable: status refuses rather than call it not issued", async () => {
    const state = await stateDir('state-entry', 0o755);
    chmodSync(join(state, 'certificates'), 0o755);
    chmodSync(join(state, 'certificates', 'www'), 0o700);
    const r = await asNobody(configFor(state), ['status']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`certfleet: ${join(state, 'certificates', 'www')} in the state directory (owner uid 0, mode 0700) cannot be read by uid 65534 (EACCES): this command needs read access (r-x)`);
    expect(r.stdout).toBe('');
  });

  it('a state directory that does not exist under a parent nobody may write: renew says it cannot create it', async () => {
    const parent = join(dir, 'root-only');
    mkdirSync(parent, { mode: 0o755 });
    const state = join(parent, 'state');
    const r = await asNobody(configFor(state), ['renew']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`certfleet: cannot create the state directory ${state}: ${parent} (owner uid 0, mode 0755) cannot be written by uid 65534 (EACCES)`);
    // Reading a state directory that is not there yet is fine: nothing has been issued.
    const status = await asNobody(configFor(state), ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^www \(www\.example\.test\): no certificate yet$/m);
  });
});
