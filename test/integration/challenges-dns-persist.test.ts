/**
 * dns-persist-01's pre-flight against a real BIND on loopback: records are published with the
 * real `nsupdate` (RFC 2136, TSIG), as a user or their DNS operator would, never by the code under
 * test; the solver's present() then finds them on the authoritative servers, or fails with a clear
 * error before any challenge is answered: no record, another account's, another CA's, an expired
 * persistUntil, a wildcard without policy=wildcard. Also: a record longer than one 255-octet
 * string, a CNAME'd _validation-persist name, the -01 form (accounturi = the account URL) for a CA
 * without accountHashPrefix, and the lookup through resolver:. Then `publish:` through the PowerDNS
 * provider against a real pdns_server: a missing record is added once and kept, beside another's.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedAccountUri } from '../../src/challenges/dns-persist-01/record.js';
import type { ChallengeTask, PersistChallengeData } from '../../src/challenges/types.js';
import { recordingLogger } from '../../src/logger.js';
import { startBind, type RunningBind } from '../helpers/bind.js';
import { startPdns, type RunningPdns } from '../helpers/pdns.js';
import { solverFromConfig } from '../conformance/tasks.js';

let bind: RunningBind;

beforeAll(async () => {
  bind = await startBind({
    zones: ['example.test', 'persist.test'],
    records: { 'example.test': ['_validation-persist.alias IN CNAME _validation-persist.alias.persist.test.'] },
  });
});

afterAll(async () => {
  await bind?.stop();
});

const PREFIX = 'https://ca.test/account-hash/';
const binding: PersistChallengeData = {
  issuerDomainNames: ['authority.test', 'ca.test'],
  accountUrl: 'https://ca.test/acct/42',
  thumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  accountHashPrefix: PREFIX,
};
const uri = (domain: string, accountUrl = binding.accountUrl) => hashedAccountUri({ accountHashPrefix: PREFIX, domain, thumbprint: binding.thumbprint, accountUrl });

/** Publish TXT strings (each at most 255 octets, given as the zone file writes them) with the real nsupdate. */
function nsupdate(zone: string, name: string, strings: string[], action: 'add' | 'delete' = 'add'): Promise<void> {
  const key = bind.updateKey;
  const rdata = strings.map((s) => `"${s}"`).join(' ');
  const script = [`server ${bind.host} ${bind.port}`, `zone ${zone}`, `update ${action} ${name} 60 TXT ${rdata}`, 'send', ''].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], (err, _stdout, stderr) => (err ? reject(new Error(`nsupdate failed: ${stderr}`)) : resolve()));
    child.stdin?.end(script);
  });
}

function task(domain: string, options: { wildcard?: boolean; binding?: PersistChallengeData } = {}): ChallengeTask {
  return { type: 'dns-persist-01', domain, wildcard: options.wildcard ?? false, token: '', keyAuthorization: '', dnsTxtValue: '', persist: options.binding ?? binding };
}

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });
const solver = (overrides: Record<string, unknown> = {}) => solverFromConfig({ type: 'dns-persist-01', server: bind.server, timeout: '2s', ...overrides });

describe('dns-persist-01 against BIND', () => {
  it('finds the published record on the authoritative servers (and the domain-omitted hash, and policy=wildcard for a wildcard)', async () => {
    await nsupdate('example.test', '_validation-persist.www.example.test.', [`authority.test; accounturi=${uri('www.example.test')}`]);
    await (await solver()).present(task('www.example.test'), context());
    await nsupdate('example.test', '_validation-persist.any.example.test.', [`ca.test; accounturi=${uri('*')}; policy=wildcard`]);
    await (await solver()).present(task('any.example.test', { wildcard: true }), context());
  });

  it('is a clear error naming the record, the server and what to publish when the record is missing', async () => {
    const error = (await (await solver()).present(task('missing.example.test'), context()).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(error.message).toBe(`dns-persist-01: TXT _validation-persist.missing.example.test. on ${bind.server}: no TXT record`);
    expect(error.hint).toContain(`_validation-persist.missing.example.test. TXT "authority.test; accounturi=${uri('missing.example.test')}"`);
  });

  it("refuses another account's record, another CA's, an expired one, and a wildcard without policy=wildcard", async () => {
    await nsupdate('example.test', '_validation-persist.other.example.test.', [`authority.test; accounturi=${uri('other.example.test', 'https://ca.test/acct/7')}`]);
    await expect((await solver()).present(task('other.example.test'), context())).rejects.toThrow(`accounturi=${uri('other.example.test', 'https://ca.test/acct/7')} is not this account's`);
    await nsupdate('example.test', '_validation-persist.ca2.example.test.', [`ca2.test; accounturi=${uri('ca2.example.test')}`]);
    await expect((await solver()).present(task('ca2.example.test'), context())).rejects.toThrow('no record names this CA (authority.test, ca.test); found ca2.test');
    await nsupdate('example.test', '_validation-persist.old.example.test.', [`authority.test; accounturi=${uri('old.example.test')}; persistUntil=1721952000`]);
    await expect((await solver()).present(task('old.example.test'), context())).rejects.toThrow('persistUntil=1721952000 (2024-07-26T00:00:00.000Z) has passed');
    await nsupdate('example.test', '_validation-persist.wild.example.test.', [`authority.test; accounturi=${uri('wild.example.test')}`]);
    await expect((await solver()).present(task('wild.example.test', { wildcard: true }), context())).rejects.toThrow('lacks policy=wildcard, which a wildcard name needs');
  });

  it('reads a record split into several 255-octet strings as one value', async () => {
    const longPrefix = `https://ca.test/${'p'.repeat(260)}/`;
    const long: PersistChallengeData = { ...binding, accountHashPrefix: longPrefix };
    const value = `authority.test; accounturi=${hashedAccountUri({ accountHashPrefix: longPrefix, domain: 'long.example.test', thumbprint: binding.thumbprint, accountUrl: binding.accountUrl })}`;
    await nsupdate('example.test', '_validation-persist.long.example.test.', [value.slice(0, 255), value.slice(255)]);
    await (await solver()).present(task('long.example.test', { binding: long }), context());
  });

  it('follows a CNAME at _validation-persist as the CA does', async () => {
    await nsupdate('persist.test', '_validation-persist.alias.persist.test.', [`authority.test; accounturi=${uri('alias.example.test')}`]);
    await (await solver()).present(task('alias.example.test'), context());
  });

  it('expects the account URL itself from a CA without accountHashPrefix (draft -01)', async () => {
    const { accountHashPrefix: _, ...draft01 } = binding;
    await nsupdate('example.test', '_validation-persist.v1.example.test.', [`authority.test; accounturi=${binding.accountUrl}`]);
    await (await solver()).present(task('v1.example.test', { binding: draft01 }), context());
    await expect((await solver()).present(task('www.example.test', { binding: draft01 }), context())).rejects.toThrow("is not this account's (expected https://ca.test/acct/42)");
  });

  it('finds the zone and its name servers through resolver:', async () => {
    await (await solver({ server: undefined, resolver: bind.server })).present(task('www.example.test'), context());
  });
});

describe('dns-persist-01 publishing through a DNS provider (PowerDNS, its HTTP API on loopback)', () => {
  let pdns: RunningPdns;
  beforeAll(async () => {
    pdns = await startPdns({ zones: ['example.test'] });
  });
  afterAll(async () => {
    await pdns?.stop();
  });

  const publishing = () =>
    solverFromConfig(
      { type: 'dns-persist-01', server: pdns.server, timeout: '2s', policy: 'wildcard', publish: { provider: 'pdns', apiUrl: pdns.apiUrl, apiKeyEnv: 'K', propagationTimeout: '5s', pollInterval: '100ms' } },
      {},
      { K: pdns.apiKey },
    );

  it('publishes the missing record once (a wildcard and its base name share it), and cleanup leaves it', async () => {
    const solver = await publishing();
    const logger = recordingLogger();
    const shared = { logger, signal: new AbortController().signal };
    await Promise.all([solver.present(task('www.example.test'), shared), solver.present(task('www.example.test', { wildcard: true }), shared)]);
    expect(logger.lines.filter((l) => l.message.startsWith('dns-persist-01: published TXT _validation-persist.www.example.test through pdns (there was none)'))).toHaveLength(1);
    const expected = `authority.test; accounturi=${uri('www.example.test')}; policy=wildcard`;
    expect(await pdns.digTxt('_validation-persist.www.example.test')).toEqual([expected]);
    await solver.cleanup(task('www.example.test'), context());
    // Found the next time: nothing published again.
    await (await publishing()).present(task('www.example.test'), context());
    expect(await pdns.digTxt('_validation-persist.www.example.test')).toEqual([expected]);
  });

  it('a wildcard after its base name, without policy: wildcard: the base name\'s record does not authorise the wildcard, so one with policy=wildcard is published beside it', async () => {
    const solver = await solverFromConfig(
      { type: 'dns-persist-01', server: pdns.server, timeout: '2s', publish: { provider: 'pdns', apiUrl: pdns.apiUrl, apiKeyEnv: 'K', propagationTimeout: '5s', pollInterval: '100ms' } },
      {},
      { K: pdns.apiKey },
    );
    await solver.present(task('both.example.test'), context());
    await solver.present(task('both.example.test', { wildcard: true }), context());
    const base = `authority.test; accounturi=${uri('both.example.test')}`;
    expect(await pdns.digTxt('_validation-persist.both.example.test')).toEqual([base, `${base}; policy=wildcard`].sort());
  });

  it("adds ours beside another account's record, which stays", async () => {
    const theirs = `authority.test; accounturi=${uri('shared.example.test', 'https://ca.test/acct/7')}`;
    const solver = await publishing();
    // Their record, put there by someone else straight through PowerDNS's API.
    await pdnsAdd(pdns, '_validation-persist.shared.example.test', theirs);
    await solver.present(task('shared.example.test'), context());
    expect(await pdns.digTxt('_validation-persist.shared.example.test')).toEqual([`authority.test; accounturi=${uri('shared.example.test')}; policy=wildcard`, theirs].sort());
  });
});

/** One TXT rrset through PowerDNS's own HTTP API (PATCH zones/<zone>, changetype REPLACE), not the provider code. */
async function pdnsAdd(server: RunningPdns, name: string, value: string): Promise<void> {
  const response = await fetch(`${server.apiUrl}/api/v1/servers/localhost/zones/example.test.`, {
    method: 'PATCH',
    headers: { 'X-API-Key': server.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ rrsets: [{ name: `${name}.`, type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: `"${value}"`, disabled: false }] }] }),
  });
  if (response.status !== 204) throw new Error(`PowerDNS answered ${response.status}: ${await response.text()}`);
}
