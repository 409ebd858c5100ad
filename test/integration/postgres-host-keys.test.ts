/**
 * Per-host key wrapping (migration 007, src/store/postgres/host-keys.ts, src/fleet/version-key.ts)
 * against a real PostgreSQL 15, under real agent roles (store grant-agent's; the test cluster trusts
 * local connections, so each role is reached by its user name and row-level security applies per
 * role). Certificates: web-a on host a, web-b on host b, web-ab on both.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertfleetError } from '../../src/errors.js';
import { loadOrCreateAgentKey, type AgentKey } from '../../src/fleet/agent-key.js';
import { filesForHost } from '../../src/fleet/version-key.js';
import { unwrapForHost } from '../../src/store/key-wrap.js';
import { agentUrl, grantAgent } from '../../src/store/postgres/agent-roles.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { failure } from '../helpers/failure.js';
import { applySpecs, hostSpec, rowVersion, usePostgresStores } from '../helpers/postgres-stores.js';

const { openStore, client } = usePostgresStores('hk');
const dirs: string[] = [];
const agentStores: PostgresStateStore[] = [];

afterAll(async () => {
  for (const s of agentStores) await s.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function agentKey(): AgentKey {
  const dir = mkdtempSync(join(tmpdir(), 'hk-agent-'));
  dirs.push(dir);
  return loadOrCreateAgentKey(dir, () => undefined);
}

function keyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

const FILES = { certPem: 'CERT\n', chainPem: '', fullchainPem: 'CERT\n' };

/** A store with three certificates applied and the agent roles of hosts a and b granted. */
async function fleet() {
  const { store, url } = await openStore();
  await applySpecs(store, [hostSpec('web-a', ['a']), hostSpec('web-b', ['b']), hostSpec('web-ab', ['a', 'b'])], '1');
  const owner = createPool(url);
  try {
    await grantAgent(owner.pool, { host: 'a' });
    await grantAgent(owner.pool, { host: 'b' });
  } finally {
    await owner.close();
  }
  /** The store as host's agent opens it: its own role, no data key. */
  const asAgent = async (host: string) => {
    const s = await PostgresStateStore.open({ url: agentUrl(url, `certfleet_agent_${host}`), keyring: undefined });
    agentStores.push(s);
    return s;
  };
  return { store, url, asAgent };
}

/** Store `id` of `name` with `pem` as its key and make it current (as a runner does). */
async function storeVersion(store: PostgresStateStore, name: string, id: string, pem: string): Promise<void> {
  await store.certificates.addVersion(name, rowVersion(id), { ...FILES, keyPem: pem });
  await store.certificates.setCurrent(name, id);
}

describe('per-host key wrapping (PostgreSQL)', () => {
  it("wraps a version's key to each registered host it is assigned to; an agent reads its host's copy only and unwraps it without the data key", async () => {
    const { store, url, asAgent } = await fleet();
    const keyA = agentKey();
    const keyB = agentKey();
    const agentA = await asAgent('a');
    const agentB = await asAgent('b');
    // Each agent registers its own key (the agent's start).
    expect((await agentA.hostKeys.register('a', keyA.publicKeyPem)).changed).toBe(true);
    expect((await agentB.hostKeys.register('b', keyB.publicKeyPem)).changed).toBe(true);
    const pemA = keyPem();
    const pemB = keyPem();
    const pemAB = keyPem();
    await storeVersion(store, 'web-a', 'v1', pemA);
    await storeVersion(store, 'web-b', 'v1', pemB);
    await storeVersion(store, 'web-ab', 'v1', pemAB);

    const c = await client(url);
    expect((await c.query('SELECT certificate, host FROM version_host_keys ORDER BY 1, 2')).rows).toEqual([
      { certificate: 'web-a', host: 'a' },
      { certificate: 'web-ab', host: 'a' },
      { certificate: 'web-ab', host: 'b' },
      { certificate: 'web-b', host: 'b' },
    ]);

    // Agent a: its host's rows only, whatever it asks for.
    const seen = await agentA.hostKeys.wrapped('web-b', 'v1', 'b');
    expect(seen).toBeUndefined();
    expect(await agentA.hostKeys.wrapped('web-ab', 'v1', 'b')).toBeUndefined();
    expect(await agentA.hostKeys.publicKey('b')).toBeUndefined();
    const direct = await client(agentUrl(url, 'certfleet_agent_a'));
    expect((await direct.query('SELECT certificate, host FROM version_host_keys ORDER BY 1, 2')).rows).toEqual([
      { certificate: 'web-a', host: 'a' },
      { certificate: 'web-ab', host: 'a' },
    ]);
    expect((await direct.query("SELECT wrapped_key FROM version_host_keys WHERE host = 'b'")).rows).toEqual([]);
    expect((await direct.query('SELECT host FROM host_keys')).rows).toEqual([{ host: 'a' }]);

    // The agent's path: unwrapped with its own key; the data key (which it lacks) never asked for.
    const current = await agentA.certificates.readVersion('web-ab', 'v1');
    const read = await filesForHost('web-ab', current, { host: 'a', own: keyA, records: agentA.hostKeys });
    expect(read.via).toBe('host-key');
    expect(read.files.keyPem).toBe(pemAB);
    expect(read.files.certPem).toBe('CERT\n');
    // Without its wrapped copy (another key pair, say) and without the data key: one error naming both.
    const stranger = agentKey();
    const err = await failure(filesForHost('web-ab', current, { host: 'a', own: stranger, records: agentA.hostKeys }));
    expect(err.code).toBe('agent-key-missing');
    expect(err.message).toMatch(/^the private key of web-ab cannot be read: the key wrapped for host a is for host key SHA256:[0-9a-f]{16}, this agent's is SHA256:[0-9a-f]{16}, and the config names no store\.encryptionKeyFile$/);
  });

  it("agent a cannot register or replace host b's key, nor replace its own; host b's wrapped key does not open with a's key", async () => {
    const { store, url, asAgent } = await fleet();
    const keyA = agentKey();
    const keyB = agentKey();
    const agentA = await asAgent('a');
    await agentA.hostKeys.register('a', keyA.publicKeyPem);
    await expect(agentA.hostKeys.register('b', keyA.publicKeyPem)).rejects.toThrow(/row-level security/);
    // Its own row: kept (no update privilege; an agent's register never replaces).
    expect(await agentA.hostKeys.register('a', keyB.publicKeyPem)).toMatchObject({ changed: false, key: { fingerprint: keyA.fingerprint } });
    await expect(agentA.hostKeys.register('a', keyB.publicKeyPem, { replace: true })).rejects.toThrow(/permission denied/);
    const direct = await client(agentUrl(url, 'certfleet_agent_a'));
    await expect(direct.query("DELETE FROM host_keys WHERE host = 'a'")).rejects.toThrow(/permission denied/);
    await expect(direct.query("INSERT INTO version_host_keys (certificate, version, host, fingerprint, wrapped_key) VALUES ('web-a', 'v1', 'a', 'x', '\\x00')")).rejects.toThrow(/permission denied/);

    // The runner (owner) registers b's key and wraps; b's copy read by the runner does not open with a's key.
    await store.hostKeys.register('b', keyB.publicKeyPem);
    await storeVersion(store, 'web-ab', 'v1', keyPem());
    const forB = await store.hostKeys.wrapped('web-ab', 'v1', 'b');
    expect(forB?.fingerprint).toBe(keyB.fingerprint);
    const refused = (() => {
      try {
        unwrapForHost(keyA.privateKey, forB!.wrapped, { certificate: 'web-ab', version: 'v1', host: 'b' });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(CertfleetError);
    expect((refused as CertfleetError).code).toBe('host-key-unwrap');
  });

  it("a wrapped key moved to another certificate's row is detected (the AAD), not deployed", async () => {
    const { store, url, asAgent } = await fleet();
    const keyA = agentKey();
    const agentA = await asAgent('a');
    await agentA.hostKeys.register('a', keyA.publicKeyPem);
    await storeVersion(store, 'web-a', 'v1', keyPem());
    await storeVersion(store, 'web-ab', 'v1', keyPem());
    // Someone with write access copies web-a's wrapped key over web-ab's (same host, same key pair).
    const owner = await client(url);
    await owner.query("UPDATE version_host_keys SET wrapped_key = (SELECT wrapped_key FROM version_host_keys WHERE certificate = 'web-a' AND host = 'a') WHERE certificate = 'web-ab' AND host = 'a'");
    const current = await agentA.certificates.readVersion('web-ab', 'v1');
    const err = await failure(filesForHost('web-ab', current, { host: 'a', own: keyA, records: agentA.hostKeys }));
    expect(err.code).toBe('host-key-unwrap');
    expect(err.message).toBe("the private key of web-ab (version v1) wrapped for host a cannot be unwrapped with this agent's key: wrong key, or tampered or moved");
  });

  it("a version stored before its host registered is wrapped by the runner's next pass; a replaced key is wrapped anew; the pass then finds nothing", async () => {
    const { store, url, asAgent } = await fleet();
    const pemAB = keyPem();
    await storeVersion(store, 'web-ab', 'v1', pemAB);
    await storeVersion(store, 'web-a', 'v1', keyPem());
    // An old version, no longer current: not wrapped (agents deploy the current one).
    await storeVersion(store, 'web-b', 'v0', keyPem());
    await storeVersion(store, 'web-b', 'v1', keyPem());
    expect(await store.hostKeys.wrapMissing()).toBe(0); // nobody registered yet
    const keyB = agentKey();
    const agentB = await asAgent('b');
    await agentB.hostKeys.register('b', keyB.publicKeyPem);
    expect(await agentB.hostKeys.wrapped('web-ab', 'v1', 'b')).toBeUndefined();

    expect(await store.hostKeys.wrapMissing()).toBe(2); // web-ab and web-b, for b
    expect(await store.hostKeys.wrapMissing()).toBe(0);
    const current = await agentB.certificates.readVersion('web-ab', 'v1');
    const read = await filesForHost('web-ab', current, { host: 'b', own: keyB, records: agentB.hostKeys });
    expect(read).toMatchObject({ via: 'host-key', files: { keyPem: pemAB } });
    const c = await client(url);
    expect((await c.query("SELECT certificate, version FROM version_host_keys WHERE host = 'b' ORDER BY 1")).rows).toEqual([
      { certificate: 'web-ab', version: 'v1' },
      { certificate: 'web-b', version: 'v1' },
    ]);

    // The operator replaces b's key (a new machine): the old copies are stale until the pass wraps them anew.
    const newB = agentKey();
    expect((await store.hostKeys.register('b', newB.publicKeyPem, { replace: true })).changed).toBe(true);
    expect(await store.hostKeys.wrapMissing({ host: 'b' })).toBe(2);
    const again = await filesForHost('web-ab', await agentB.certificates.readVersion('web-ab', 'v1'), { host: 'b', own: newB, records: agentB.hostKeys });
    expect(again).toMatchObject({ via: 'host-key', files: { keyPem: pemAB } });
  });

  it('a pass wraps only for hosts that asked: an agent that found no copy, a spec that starts naming the host; otherwise it reads the host keys and nothing else', async () => {
    const { store, url, asAgent } = await fleet();
    const keyA = agentKey();
    const agentA = await asAgent('a');
    await agentA.hostKeys.register('a', keyA.publicKeyPem);
    expect(await store.hostKeys.wrapMissing()).toBe(0); // registered, nothing stored yet: a's pass is done
    await storeVersion(store, 'web-a', 'v1', keyPem());
    await storeVersion(store, 'web-ab', 'v1', keyPem());
    const c = await client(url);
    // A copy lost (a host registered while a runner was storing the version has none either): nobody asked, so the pass looks at nothing.
    await c.query("DELETE FROM version_host_keys WHERE certificate = 'web-ab' AND host = 'a'");
    expect(await store.hostKeys.wrapMissing()).toBe(0);
    // The agent finds no copy and asks (its own host's row, its own key only); the next pass wraps it.
    const current = await agentA.certificates.readVersion('web-ab', 'v1');
    const err = await failure(filesForHost('web-ab', current, { host: 'a', own: keyA, records: agentA.hostKeys }));
    expect(err.code).toBe('agent-key-missing');
    expect(err.message).toContain('(the next certfleet renew wraps it: asked)');
    expect(await agentA.hostKeys.requestWrap('b', keyA.fingerprint)).toBe(false);
    expect(await agentA.hostKeys.requestWrap('a', agentKey().fingerprint)).toBe(false);
    const direct = await client(agentUrl(url, 'certfleet_agent_a'));
    await expect(direct.query("UPDATE host_keys SET public_key = 'x' WHERE host = 'a'")).rejects.toThrow(/permission denied/);
    expect(await store.hostKeys.wrapMissing()).toBe(1);
    expect(await store.hostKeys.wrapMissing()).toBe(0);
    expect((await filesForHost('web-ab', current, { host: 'a', own: keyA, records: agentA.hostKeys })).via).toBe('host-key');

    // web-b starts naming host a (apply): the trigger asks for a's pass, which wraps web-b's current key.
    await storeVersion(store, 'web-b', 'v1', keyPem());
    expect(await store.hostKeys.wrapMissing()).toBe(0);
    await applySpecs(store, [hostSpec('web-a', ['a']), hostSpec('web-b', ['b', 'a']), hostSpec('web-ab', ['a', 'b'])], '2');
    expect(await store.hostKeys.wrapMissing()).toBe(1);
    expect((await agentA.hostKeys.wrapped('web-b', 'v1', 'a'))?.fingerprint).toBe(keyA.fingerprint);
  });
});
