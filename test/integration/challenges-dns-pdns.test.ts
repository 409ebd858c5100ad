/**
 * dns-01 through the PowerDNS provider against a real PowerDNS Authoritative (test/helpers/pdns.ts:
 * pdns_server with its HTTP API on loopback and a sqlite3 backend): the conformance suite every
 * solver passes, read back with `dig`; then the failures a user meets, each with cleanup checked:
 * a wrong API key (401), a zone the server does not have, and a record that never propagates
 * (a second name server in the zone's NS set that never gets it). Then lego's environment
 * variables, and a CNAME-delegated challenge name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChallengeError } from '../../src/challenges/errors.js';
import type { DnsProviderClient } from '../../src/challenges/dns-providers/descriptor.js';
import { DnsProviderError } from '../../src/challenges/dns-providers/http.js';
import { pdnsProvider } from '../../src/challenges/dns-providers/pdns.js';
import { ProviderDnsSolver } from '../../src/challenges/dns-providers/solver.js';
import { sleep } from '../../src/challenges/errors.js';
import { recordingLogger } from '../../src/logger.js';
import { startPdns, type RunningPdns } from '../helpers/pdns.js';
import { describeSolverConformance, type ChallengeVerifier } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';

let pdns: RunningPdns;
/** Its zone names a second name server at an address where nothing answers DNS (127.0.0.254:53). */
let slow: RunningPdns;

beforeAll(async () => {
  pdns = await startPdns({
    zones: ['example.test', 'delegated.test'],
    records: { 'example.test': ['_acme-challenge.alias IN CNAME alias.delegated.test.'] },
  });
  slow = await startPdns({ zones: ['slow.test'], extraNameServers: [{ name: 'ns2', address: '127.0.0.254' }] });
});

afterAll(async () => {
  await pdns?.stop();
  await slow?.stop();
});

const context = (signal: AbortSignal = new AbortController().signal) => ({ logger: recordingLogger(), signal });

function pdnsSolver(overrides: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  return solverFromConfig(
    { type: 'dns-01', provider: 'pdns', apiUrl: pdns.apiUrl, apiKeyEnv: 'TEST_PDNS_KEY', server: pdns.server, propagationTimeout: '5s', pollInterval: '100ms', ...overrides },
    {},
    { TEST_PDNS_KEY: pdns.apiKey, ...env },
  );
}

function slowSolver(propagationTimeout: string) {
  return solverFromConfig(
    { type: 'dns-01', provider: 'powerdns', apiUrl: slow.apiUrl, apiKeyEnv: 'K', server: slow.server, propagationTimeout, pollInterval: '100ms' },
    {},
    { K: slow.apiKey },
  );
}

function pdnsVerifier(domains: readonly [string, string]): ChallengeVerifier {
  return {
    type: 'dns-01',
    domains,
    async validate(task) {
      const values = await pdns.digTxt(`_acme-challenge.${task.domain}`);
      return { valid: values.includes(task.dnsTxtValue), detail: `TXT values: ${JSON.stringify(values)}` };
    },
  };
}

/** The TXT rrset as the API has it (not through the code under test): what cleanup must leave. */
async function apiTxt(zone: string, name: string): Promise<string[]> {
  const response = await fetch(`${pdns.apiUrl}/api/v1/servers/localhost/zones/${zone}.`, { headers: { 'x-api-key': pdns.apiKey } });
  const body = (await response.json()) as { rrsets: { name: string; type: string; records: { content: string }[] }[] };
  return body.rrsets.filter((r) => r.type === 'TXT' && r.name === `${name}.`).flatMap((r) => r.records.map((x) => x.content.replace(/^"|"$/g, '')));
}

describeSolverConformance('dns-01 provider pdns (PowerDNS HTTP API)', () => pdnsSolver(), () => pdnsVerifier(['www.example.test', 'api.example.test']));

describe('dns-01 provider pdns against a real PowerDNS', () => {
  it('keeps another value at the same name through create and delete', async () => {
    const solver = await pdnsSolver();
    const other = makeTask('dns-01', 'keep.example.test');
    const ours = makeTask('dns-01', 'keep.example.test');
    await solver.present(other, context());
    await solver.present(ours, context());
    expect(await pdns.digTxt('_acme-challenge.keep.example.test')).toEqual([other.dnsTxtValue, ours.dnsTxtValue].sort());
    await solver.cleanup(ours, context());
    expect(await pdns.digTxt('_acme-challenge.keep.example.test')).toEqual([other.dnsTxtValue]);
    await solver.cleanup(other, context());
    expect(await apiTxt('example.test', '_acme-challenge.keep.example.test')).toEqual([]);
  });

  it('a wrong API key: a DnsProviderError naming the provider, the zone, the record and 401; nothing to clean up', async () => {
    const solver = await pdnsSolver({}, { TEST_PDNS_KEY: 'not-the-key' });
    const task = makeTask('dns-01', 'badkey.example.test');
    const error = await solver.present(task, context()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DnsProviderError);
    const message = (error as DnsProviderError).message;
    expect(message).toMatch(/^pdns: /);
    expect(message).toContain('_acme-challenge.badkey.example.test');
    expect(message).toContain('zone example.test');
    expect(message).toContain('HTTP 401');
    expect((error as DnsProviderError).status).toBe(401);
    expect((error as DnsProviderError).hint).toContain('credential was refused');
    expect(message).not.toContain('not-the-key');
    await solver.cleanup(task, context());
    expect(await apiTxt('example.test', '_acme-challenge.badkey.example.test')).toEqual([]);
  });

  it('a zone the server does not have: an error naming the provider and the record, before anything is written', async () => {
    const solver = await pdnsSolver();
    const task = makeTask('dns-01', 'www.elsewhere.test');
    const error = await solver.present(task, context()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ChallengeError);
    expect((error as Error).message).toMatch(/^pdns: cannot find the zone of _acme-challenge\.www\.elsewhere\.test\.: 127\.0\.0\.1:\d+ answered REFUSED/);
    expect((error as ChallengeError).hint).toContain('PowerDNS Authoritative');
    await solver.cleanup(task, context());
    for (const zone of pdns.zones) expect(await apiTxt(zone, '_acme-challenge.www.elsewhere.test')).toEqual([]);
  });

  it('a record that never propagates (a second name server of the zone never gets it): a timeout naming provider, record, zone and server; cleanup removes it', async () => {
    const solver = await slowSolver('1500ms');
    const task = makeTask('dns-01', 'www.slow.test');
    const error = await solver.present(task, context()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ChallengeError);
    const message = (error as Error).message;
    expect(message).toMatch(/^pdns: TXT _acme-challenge\.www\.slow\.test\. ".+" is not visible after 1\.5 s on 127\.0\.0\.254:53 /);
    expect(message).toContain('the name servers of zone slow.test.');
    // The server that has it is not among the missing.
    expect(message).not.toContain(`${slow.server} (`);
    expect((error as ChallengeError).hint).toContain('raise propagationTimeout');
    expect(await slow.digTxt('_acme-challenge.www.slow.test')).toEqual([task.dnsTxtValue]);
    await solver.cleanup(task, context());
    expect(await slow.digTxt('_acme-challenge.www.slow.test')).toEqual([]);
  });

  it('cleans up after a cancelled run: cleanup() is not bound to the run\'s signal', async () => {
    const solver = await slowSolver('60s');
    const controller = new AbortController();
    const task = makeTask('dns-01', 'cancel.slow.test');
    const presented = solver.present(task, context(controller.signal));
    // Cancelled while it waits for the name server that never gets the record.
    while ((await slow.digTxt('_acme-challenge.cancel.slow.test')).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error('run cancelled'));
    await expect(presented).rejects.toThrow('run cancelled');
    await solver.cleanup(task, context(controller.signal));
    expect(await slow.digTxt('_acme-challenge.cancel.slow.test')).toEqual([]);
  });

  it('an answer lost after the change applied: cleanup still deletes it; a refusal: cleanup has nothing to delete', async () => {
    const real = pdnsProvider.create({ options: { apiUrl: pdns.apiUrl, serverName: 'localhost' }, secrets: { apiKey: pdns.apiKey } }, { fetch: globalThis.fetch, now: () => new Date(), sleep });
    const deletes: string[] = [];
    let failure: 'lost' | 'refused' = 'lost';
    const client: DnsProviderClient = {
      findZone: (name, signal) => real.findZone(name, signal),
      async createTxt(record, signal) {
        if (failure === 'refused') throw new DnsProviderError('pdns', `adding TXT ${record.name} in zone ${record.zone.name}: HTTP 422: refused`, { status: 422 });
        await real.createTxt(record, signal);
        throw new DnsProviderError('pdns', 'adding TXT: cannot reach 127.0.0.1: socket hang up');
      },
      async deleteTxt(record, signal) {
        deletes.push(record.name);
        await real.deleteTxt(record, signal);
      },
    };
    const solver = new ProviderDnsSolver({ descriptor: pdnsProvider, client, ttl: 60, lookup: { server: { host: '127.0.0.1', port: pdns.dnsPort }, timeoutMs: 5_000, pollIntervalMs: 100, queryTimeoutMs: 2_000 } });
    const lost = makeTask('dns-01', 'lost.example.test');
    await expect(solver.present(lost, context())).rejects.toThrow(/^pdns: adding TXT: cannot reach 127\.0\.0\.1: socket hang up \(TXT _acme-challenge\.lost\.example\.test, zone example\.test\)$/);
    expect(await pdns.digTxt('_acme-challenge.lost.example.test')).toEqual([lost.dnsTxtValue]);
    await solver.cleanup(lost, context());
    expect(deletes).toEqual(['_acme-challenge.lost.example.test']);
    expect(await pdns.digTxt('_acme-challenge.lost.example.test')).toEqual([]);
    failure = 'refused';
    const refused = makeTask('dns-01', 'refused.example.test');
    await expect(solver.present(refused, context())).rejects.toThrow('HTTP 422');
    await solver.cleanup(refused, context());
    expect(deletes).toEqual(['_acme-challenge.lost.example.test']);
  });

  it('takes lego\'s environment variables as they are (PDNS_API_URL, PDNS_API_KEY, PDNS_SERVER_NAME)', async () => {
    const solver = await solverFromConfig(
      { type: 'dns-01', provider: 'pdns', server: pdns.server, propagationTimeout: '5s', pollInterval: '100ms' },
      {},
      { PDNS_API_URL: pdns.apiUrl, PDNS_API_KEY: pdns.apiKey, PDNS_SERVER_NAME: 'localhost' },
    );
    const task = makeTask('dns-01', 'lego.example.test');
    await solver.present(task, context());
    expect(await pdns.digTxt('_acme-challenge.lego.example.test')).toEqual([task.dnsTxtValue]);
    await solver.cleanup(task, context());
    expect(await pdns.digTxt('_acme-challenge.lego.example.test')).toEqual([]);
  });

  it('follows a CNAME-delegated challenge name: the TXT record goes to the zone the CNAME points into', async () => {
    const solver = await pdnsSolver();
    const task = makeTask('dns-01', 'alias.example.test');
    await solver.present(task, context());
    expect(await pdns.digTxt('alias.delegated.test')).toEqual([task.dnsTxtValue]);
    expect(await apiTxt('example.test', '_acme-challenge.alias.example.test')).toEqual([]);
    await solver.cleanup(task, context());
    expect(await pdns.digTxt('alias.delegated.test')).toEqual([]);
  });

  it('with followCname: false writes at the challenge name itself, where PowerDNS refuses a TXT beside the CNAME, and says so', async () => {
    const solver = await pdnsSolver({ followCname: false });
    const task = makeTask('dns-01', 'alias.example.test');
    await expect(solver.present(task, context())).rejects.toThrow(/^pdns: .*_acme-challenge\.alias\.example\.test.*HTTP 422/);
    expect(await pdns.digTxt('alias.delegated.test')).toEqual([]);
    await solver.cleanup(task, context());
  });
});
