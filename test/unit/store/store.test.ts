import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertificateStore, versionId } from '../../../src/store/certificate-store.js';
import { acquireLock, LockBusyError } from '../../../src/store/lock.js';
import { tempDir } from '../../helpers/pki.js';

describe('state directory lock', () => {
  it('lets one run in, makes a second wait and then fail with who holds it', async () => {
    const dir = tempDir();
    const held = await acquireLock(dir, { waitMs: 0, pid: process.pid });
    const started = Date.now();
    const second = acquireLock(dir, { waitMs: 300, pollMs: 50, pid: process.pid });
    await expect(second).rejects.toThrow(LockBusyError);
    await expect(acquireLock(dir, { waitMs: 0, pid: process.pid })).rejects.toThrow(new RegExp(`locked by certfleet pid ${process.pid}`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await held.release();
    const third = await acquireLock(dir, { waitMs: 0, pid: process.pid });
    await third.release();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = tempDir();
    const dead = spawnSync('true').pid!; // a pid that has certainly exited
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), since: '2026-01-01T00:00:00Z' }));
    const lock = await acquireLock(dir, { waitMs: 0, pid: process.pid });
    await lock.release();
    writeFileSync(join(dir, '.lock'), '{torn');
    await (await acquireLock(dir, { waitMs: 0, pid: process.pid })).release();
  });
});

describe('certificate store', () => {
  const files = { certPem: 'CERT\n', chainPem: 'CHAIN\n', fullchainPem: 'CERT\nCHAIN\n', keyPem: 'KEY\n' };
  const version = (serial: string, at: string) => ({
    id: versionId(new Date(at), serial), serialNumber: serial, notBefore: at, notAfter: at, domains: ['a.test'], issuedAt: at,
  });

  it('keeps every version, keys 0600, and swaps current atomically', async () => {
    const store = new CertificateStore(tempDir());
    const v1 = version('01', '2026-11-01T00:00:00.000Z');
    const v2 = version('02', '2026-11-20T00:00:00.000Z');
    await store.addVersion('www', v1, files);
    await store.setCurrent('www', v1.id);
    await store.addVersion('www', v2, { ...files, keyPem: 'KEY2\n' });
    expect(await store.currentId('www')).toBe(v1.id);
    await store.setCurrent('www', v2.id);
    expect((await store.current('www'))!.files.keyPem).toBe('KEY2\n');
    expect((await store.versions('www')).map((v) => v.serialNumber)).toEqual(['01', '02']);
    const keyPath = join(store.stateDir, 'certificates', 'www', 'versions', v2.id, 'privkey.pem');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(store.stateDir, 'certificates', 'www'))).not.toContain('current.tmp');
  });

  it('ignores a version interrupted before its meta.json', async () => {
    const store = new CertificateStore(tempDir());
    mkdirSync(join(store.stateDir, 'certificates', 'www', 'versions', 'broken'), { recursive: true });
    expect(await store.versions('www')).toEqual([]);
  });

  it('moves a corrupt state file aside, says so, and starts from clean soft state', async () => {
    const store = new CertificateStore(tempDir());
    await store.saveState('www', { schemaVersion: 1, failures: { consecutiveFailures: 2, lastFailureAt: 5 } });
    expect((await store.loadState('www', () => undefined)).failures?.consecutiveFailures).toBe(2);
    const path = join(store.stateDir, 'certificates', 'www', 'state.json');
    writeFileSync(path, '{"schemaVersion": 1, "failures": ');
    const said: string[] = [];
    expect(await store.loadState('www', (m) => said.push(m))).toEqual({ schemaVersion: 1 });
    expect(said[0]).toMatch(/state file .*state\.json was unreadable .* moved to .*corrupt-/);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(join(store.stateDir, 'certificates', 'www')).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
  });
});
