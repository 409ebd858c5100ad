/**
 * dns-persist-01 issuance end to end, below the CLI: the real AcmeClient orders from a small local
 * ACME server that follows draft-ietf-acme-dns-persist-02 (test/helpers/fake-acme.ts with
 * dns-persist.ts: directory meta issuerDomainNames and accountHashPrefix, a dns-persist-01
 * challenge with issuerDomainNames, validation by reading the TXT record from BIND), the record
 * that persistRecordsFor() gives (what `certfleet dns persist-record` prints) is published with the
 * real nsupdate, and the solver from the `challenge:` config checks it before the challenge is
 * answered. Also: a missing record stops the order before any challenge is answered, and the CA's
 * own `unauthorized` problem document when it is asked anyway.
 */
import { execFile } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient, createCsr, issueCertificate } from '../../src/acme/index.js';
import { persistRecordsFor } from '../../src/challenges/dns-persist-01/records.js';
import type { ChallengeSolver } from '../../src/challenges/types.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { startBind, type RunningBind } from '../helpers/bind.js';
import { startFakeAcme, type FakeAcme } from '../helpers/fake-acme.js';
import { solverFromConfig } from '../conformance/tasks.js';

let bind: RunningBind;
let ca: FakeAcme | undefined;
let client: AcmeClient | undefined;

beforeAll(async () => {
  bind = await startBind({ zones: ['example.test'] });
});
afterAll(async () => {
  await bind?.stop();
});
afterEach(async () => {
  client?.close();
  await ca?.close();
  client = ca = undefined;
});

const ACCOUNT_HASH_PREFIX = 'https://ca.test/account-hash/';

async function start(): Promise<{ ca: FakeAcme; client: AcmeClient }> {
  ca = await startFakeAcme({ dnsPersist: { issuerDomainNames: ['authority.test', 'ca.test'], accountHashPrefix: ACCOUNT_HASH_PREFIX, dnsServer: { host: bind.host, port: bind.port } } });
  client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
  await client.ensureAccount({ termsAgreed: true });
  return { ca, client };
}

function nsupdate(name: string, rdata: string): Promise<void> {
  const key = bind.updateKey;
  const script = [`server ${bind.host} ${bind.port}`, 'zone example.test', `update add ${name} 60 TXT ${rdata}`, 'send', ''].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], (err, _stdout, stderr) => (err ? reject(new Error(`nsupdate failed: ${stderr}`)) : resolve()));
    child.stdin?.end(script);
  });
}

const solver = () => solverFromConfig({ type: 'dns-persist-01', server: bind.server, timeout: '2s' });

async function order(acme: AcmeClient, identifiers: string[], persistSolver: ChallengeSolver) {
  return issueCertificate(acme, { identifiers, csrDer: await createCsr(identifiers, await generatePrivateKey('ec-p256')) }, { solvers: { 'dns-persist-01': persistSolver }, wait: { timeoutMs: 10_000 } });
}

describe('dns-persist-01 issuance against a local ACME server that follows draft-ietf-acme-dns-persist-02', () => {
  it('publishes the printed record, passes the pre-flight, and the CA validates it and issues', async () => {
    const { ca, client } = await start();
    const meta = await client.directoryMeta();
    const set = persistRecordsFor({
      domains: ['www.example.test'],
      account: { accountUrl: client.accountUrl as string, thumbprint: client.accountKeyThumbprint, accountHashPrefix: meta.accountHashPrefix as string },
      caIssuerDomainNames: meta.issuerDomainNames,
      ttl: 3600,
    });
    expect(set.accountUriForm).toBe('hashed');
    for (const record of set.records) await nsupdate(record.name, record.rdata);
    const issued = await order(client, ['www.example.test'], await solver());
    expect(issued.certificatePem).toContain('BEGIN CERTIFICATE');
    expect(ca.requests.filter((r) => r.kind === 'chall')).toHaveLength(1);
  });

  it('a missing record is a clear error before any challenge is answered', async () => {
    const { ca, client } = await start();
    await expect(order(client, ['absent.example.test'], await solver())).rejects.toThrow(`dns-persist-01: TXT _validation-persist.absent.example.test. on ${bind.server}: no TXT record`);
    expect(ca.requests.filter((r) => r.kind === 'chall')).toEqual([]);
  });

  it("another account's record is a clear error before any challenge is answered", async () => {
    const { ca: first, client: firstClient } = await start();
    const meta = await firstClient.directoryMeta();
    const [record] = persistRecordsFor({ domains: ['theirs.example.test'], account: { accountUrl: 'https://ca.test/acct/999', thumbprint: firstClient.accountKeyThumbprint, accountHashPrefix: meta.accountHashPrefix as string }, caIssuerDomainNames: meta.issuerDomainNames, ttl: 60 }).records;
    await nsupdate(record!.name, record!.rdata);
    await expect(order(firstClient, ['theirs.example.test'], await solver())).rejects.toThrow("is not this account's");
    expect(first.requests.filter((r) => r.kind === 'chall')).toEqual([]);
  });

  it("the CA's own check: answering without a record gets an unauthorized problem document", async () => {
    const { client } = await start();
    // A solver that checks nothing, so the CA is asked: its verdict is what the client reports.
    const blind: ChallengeSolver = { type: 'dns-persist-01', present: async () => undefined, cleanup: async () => undefined };
    const error = (await order(client, ['nothing.example.test'], blind).catch((e: unknown) => e)) as Error & { hint?: string; problem?: { type: string; detail?: string } };
    expect(error.message).toContain('validation of nothing.example.test failed (authorization invalid, dns-persist-01)');
    expect(error.problem?.type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(error.problem?.detail).toBe('no TXT record at _validation-persist.nothing.example.test names authority.test or ca.test');
    expect(error.hint).toContain('persist-record');
  });
});
