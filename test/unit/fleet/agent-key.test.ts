/**
 * The agent's key pair (src/fleet/agent-key.ts): made once in the state directory, 0600, kept
 * across starts; registered for its host only when the host has none.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_KEY_FILE, loadOrCreateAgentKey, registerAgentKey } from '../../../src/fleet/agent-key.js';
import type { Logger } from '../../../src/logger.js';
import { hostKeyFingerprint, parseHostPublicKey } from '../../../src/store/key-wrap.js';
import type { HostKeyRecords, RegisteredHostKey } from '../../../src/store/ports.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'agent-key-'));
  dirs.push(d);
  return join(d, 'state');
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (m: string) => void lines.push(`${level}: ${m}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** One host's row, as the store keeps it: inserted when absent, never replaced by register() without replace. */
function fakeRecords(): HostKeyRecords & { rows: Map<string, RegisteredHostKey> } {
  const rows = new Map<string, RegisteredHostKey>();
  return {
    rows,
    publicKey: (host) => Promise.resolve(rows.get(host)),
    register: (host, pem) => {
      const existing = rows.get(host);
      if (existing) return Promise.resolve({ key: existing, changed: false });
      const key = { host, publicKeyPem: pem, fingerprint: hostKeyFingerprint(parseHostPublicKey(pem, 'test')), createdAt: new Date(0).toISOString() };
      rows.set(host, key);
      return Promise.resolve({ key, changed: true });
    },
    wrapped: () => Promise.resolve(undefined),
    requestWrap: () => Promise.resolve(false),
    wrapMissing: () => Promise.resolve(0),
  };
}

describe("the agent's key pair", () => {
  it('is made on first use, 0600, and the same key is read on every later start', () => {
    const dir = stateDir();
    const warnings: string[] = [];
    const first = loadOrCreateAgentKey(dir, (m) => warnings.push(m));
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dir, AGENT_KEY_FILE));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(first.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const again = loadOrCreateAgentKey(dir, (m) => warnings.push(m));
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(warnings).toEqual([]);
  });

  it('warns about a key file others can read, and refuses one that is not an X25519 key', () => {
    const dir = stateDir();
    const made = loadOrCreateAgentKey(dir, () => undefined);
    chmodSync(made.path, 0o644);
    const warnings: string[] = [];
    loadOrCreateAgentKey(dir, (m) => warnings.push(m));
    expect(warnings).toEqual([`${made.path} is accessible to group or others (mode 0644); chmod 600 it`]);
    writeFileSync(made.path, 'garbage');
    expect(() => loadOrCreateAgentKey(dir, () => undefined)).toThrow(`${made.path}: not a PEM private key`);
  });

  it('registers itself for a host without a key, and keeps (and names) another key already registered', async () => {
    const records = fakeRecords();
    const a = loadOrCreateAgentKey(stateDir(), () => undefined);
    const log = recordingLogger();
    expect(await registerAgentKey('a', a, records, log)).toBe('registered');
    expect(await registerAgentKey('a', a, records, log)).toBe('already');
    const other = loadOrCreateAgentKey(stateDir(), () => undefined);
    expect(await registerAgentKey('a', other, records, log)).toBe('other-key');
    expect(records.rows.get('a')?.fingerprint).toBe(a.fingerprint);
    expect(log.lines[0]).toBe(`info: registered this agent's public key for host a (SHA256:${a.fingerprint.slice(0, 16)}); runners wrap its certificates' keys to it from their next run`);
    expect(log.lines[1]).toMatch(new RegExp(`^warn: host a has another public key registered \\(SHA256:${a.fingerprint.slice(0, 16)}\\); this agent's is SHA256:${other.fingerprint.slice(0, 16)}`));
    expect(log.lines.join('\n')).not.toMatch(/PRIVATE KEY/);
  });

  it('goes on when the key cannot be registered (the data key is then its path)', async () => {
    const records = { ...fakeRecords(), register: () => Promise.reject(new Error('permission denied for table host_keys')) };
    const log = recordingLogger();
    expect(await registerAgentKey('a', loadOrCreateAgentKey(stateDir(), () => undefined), records, log)).toBe('failed');
    expect(log.lines).toEqual(["warn: this agent's public key could not be registered for host a: permission denied for table host_keys; the store's data key is used if configured"]);
  });
});
