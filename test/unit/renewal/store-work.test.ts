/**
 * workFromStore over a fake SpecRecords: which certificates a run on the shared store looks at,
 * with which lease, and what it does with a spec this runner cannot resolve.
 */
import { describe, expect, it } from 'vitest';
import type { Lease, SpecRecords, StoredSpec } from '../../../src/store/ports.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import type { CertificateOutcome } from '../../../src/renewal/renew-certificate.js';
import { workFromStore, type StoreWork } from '../../../src/renewal/store-work.js';
import { failure } from '../../helpers/failure.js';

function spec(name: string): StoredSpec {
  const entry = name === 'malformed' ? { name, domains: [] } : { name, domains: [`${name}.example.org`], challenge: { type: 'http-01', webroot: '/var/www' } };
  return { name, entry, baseDir: '/etc/certfleet', where: `certificates.d/a.yaml: certificates[0] (${name})`, file: '/etc/certfleet/certificates.d/a.yaml' };
}

/** A queue of due names; each claim takes the first `limit` not yet claimed since `since` (once per run). */
class FakeSpecs implements SpecRecords {
  claimed: string[] = [];
  pages: Array<string | undefined> = [];
  constructor(
    private readonly all: string[],
    private readonly due: string[],
  ) {}
  appliedFingerprint = async () => undefined;
  apply = async () => ({ added: [], changed: [], archived: [], unchanged: 0 });
  read = async (names: readonly string[]) => new Map(names.filter((n) => this.all.includes(n)).map((n) => [n, spec(n)]));
  page = async (after: string | undefined, limit: number) => {
    this.pages.push(after);
    return this.all.filter((n) => after === undefined || n > after).slice(0, limit).map(spec);
  };
  claimDue = async (owner: string, _ttl: number, limit: number) => {
    const next = this.due.filter((n) => !this.claimed.includes(n)).slice(0, limit);
    this.claimed.push(...next);
    return next.map((n) => ({ lease: { name: n, owner, token: 1, expiresAt: 0 }, spec: spec(n) }));
  };
  now = async () => new Date(0);
  count = async () => this.all.length;
}

function work(specs: FakeSpecs, overrides: Partial<StoreWork> = {}) {
  const looked: Array<{ name: string; lease: Lease | undefined }> = [];
  const released: string[] = [];
  const w: StoreWork = {
    specs,
    settings: {
      specs: {
        inline: [],
        files: [],
        read: async () => [],
        fingerprint: async () => 'f',
        resolve: async (e) => {
          if (e.entry.name === 'broken') throw new Error('environment variable TSIG_SECRET is not set');
          return { name: e.entry.name } as ManagedCertificate;
        },
      },
    },
    names: [],
    all: false,
    concurrency: 3,
    owner: 'runner-a',
    ttlMs: 60_000,
    look: async (cert, lease) => {
      looked.push({ name: cert.name, lease });
      return { name: cert.name, action: 'renewed', reason: 'due', explanation: '', durationMs: 0 } as CertificateOutcome;
    },
    release: async (lease) => {
      released.push(lease.name);
    },
    onOutcome: () => undefined,
    ...overrides,
  };
  return { w, looked, released };
}

describe('workFromStore', () => {
  it('claims the due certificates one at a time and looks at each under its claimed lease, the others never read', async () => {
    const specs = new FakeSpecs(['a', 'b', 'c', 'd', 'e'], ['b', 'd', 'e']);
    const { w, looked } = work(specs);
    const result = await workFromStore(w);
    expect(looked.map((l) => l.name).sort()).toEqual(['b', 'd', 'e']);
    expect(looked.every((l) => l.lease?.name === l.name && l.lease.owner === 'runner-a')).toBe(true);
    expect(result.looked.map((c) => c.name).sort()).toEqual(['b', 'd', 'e']);
    expect(specs.pages).toEqual([]);
  });

  it('nothing due: nothing looked at', async () => {
    const { w, looked } = work(new FakeSpecs(['a', 'b'], []));
    expect((await workFromStore(w)).outcomes).toEqual([]);
    expect(looked).toEqual([]);
  });

  it('a spec this runner cannot resolve is that certificate failing, naming where it was written; its lease is given back and the others go on', async () => {
    const { w, looked, released } = work(new FakeSpecs(['a', 'broken', 'c'], ['a', 'broken', 'c']));
    const result = await workFromStore(w);
    const broken = result.outcomes.find((o) => o.name === 'broken')!;
    expect(broken.action).toBe('failed');
    expect(broken.error).toBe('its spec (certificates.d/a.yaml: certificates[0] (broken)) cannot be used on this runner: environment variable TSIG_SECRET is not set');
    expect(released).toEqual(['broken']);
    expect(looked.map((l) => l.name).sort()).toEqual(['a', 'c']);
  });

  it('a stored entry this version of certfleet does not accept (written by another version, or by hand) fails that certificate, saying so', async () => {
    const { w, looked } = work(new FakeSpecs(['a', 'malformed'], ['a', 'malformed']));
    const result = await workFromStore(w);
    expect(result.outcomes.find((o) => o.name === 'malformed')?.error).toMatch(/^its spec \(certificates.d\/a.yaml: certificates\[0\] \(malformed\)\) cannot be used on this runner: certificates.d\/a.yaml: certificates\[0\] \(malformed\): as stored: /);
    expect(looked.map((l) => l.name)).toEqual(['a']);
  });

  it('named certificates are looked at without a claim (the caller takes their leases); an unknown name is a usage error', async () => {
    const specs = new FakeSpecs(['a', 'b', 'c'], ['a']);
    const { w, looked } = work(specs, { names: ['c', 'b'] });
    await workFromStore(w);
    expect(looked.map((l) => l.name).sort()).toEqual(['b', 'c']);
    expect(looked.every((l) => l.lease === undefined)).toBe(true);
    expect(specs.claimed).toEqual([]);
    const err = await failure(workFromStore(work(specs, { names: ['a', 'zz'] }).w));
    expect(err.message).toBe('unknown certificate name(s): zz (not among the specs in the store)');
  });

  it('plan or force: every spec, a page at a time', async () => {
    const names = Array.from({ length: 1_203 }, (_, i) => `c${String(i).padStart(4, '0')}`);
    const specs = new FakeSpecs(names, []);
    const { w, looked } = work(specs, { all: true });
    await workFromStore(w);
    expect(looked.map((l) => l.name).sort()).toEqual(names);
    expect(specs.pages).toEqual([undefined, 'c0499', 'c0999', 'c1202']);
  });
});
