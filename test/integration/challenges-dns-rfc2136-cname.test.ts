/**
 * dns-01 through RFC 2136 with a delegated challenge, against real BINDs on loopback:
 * `_acme-challenge.<name>.example.test CNAME ...acme.test.` is followed, and the TXT record is
 * added, awaited and deleted in acme.test (the zone the CNAME leads to), never in example.test.
 * The conformance suite runs through the delegation; then the failures: a CNAME loop, a chain
 * into a zone the TSIG key cannot update, `followCname: false`, `zone:` given for the target, and
 * `resolver:` for a domain whose zone the update server does not serve.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../src/logger.js';
import { startBind, type RunningBind } from '../helpers/bind.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import type { ChallengeVerifier } from '../conformance/verifiers.js';

let bind: RunningBind;
/** Serves only acme.test: the user's own server, which cannot answer for example.test. */
let own: RunningBind;
/** Stands in for a recursive resolver: it can answer for example.test (and acme.test, as a resolver would). */
let resolver: RunningBind;

const delegated = ['www', 'api', 'two', 'given', 'nofollow'];
const exampleRecords = [
  ...delegated.filter((n) => n !== 'two').map((n) => `_acme-challenge.${n} IN CNAME _acme-challenge.${n}.acme.test.`),
  // Two hops: the first into acme.test, the second inside it.
  '_acme-challenge.two IN CNAME hop.acme.test.',
  '_acme-challenge.loop IN CNAME _acme-challenge.loop2.example.test.',
  '_acme-challenge.loop2 IN CNAME _acme-challenge.loop.example.test.',
  '_acme-challenge.locked IN CNAME _acme-challenge.locked.locked.test.',
];
const acmeRecords = ['hop IN CNAME final.acme.test.'];

beforeAll(async () => {
  bind = await startBind({
    zones: ['example.test', 'acme.test', 'locked.test'],
    records: { 'example.test': exampleRecords, 'acme.test': acmeRecords },
    readOnlyZones: ['locked.test'],
  });
  own = await startBind({ zones: ['acme.test'], records: { 'acme.test': acmeRecords } });
  resolver = await startBind({ zones: ['example.test', 'acme.test'], records: { 'example.test': exampleRecords } });
});

afterAll(async () => {
  await Promise.all([bind?.stop(), own?.stop(), resolver?.stop()]);
});

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });

function rfc2136(overrides: Record<string, unknown> = {}, on: () => RunningBind = () => bind) {
  const server = on();
  return solverFromConfig({
    type: 'dns-01',
    provider: 'rfc2136',
    server: server.server,
    tsig: { name: server.updateKey.name, algorithm: server.updateKey.algorithm, secret: server.updateKey.secret },
    timeout: '2s',
    propagationTimeout: '5s',
    pollInterval: '100ms',
    ...overrides,
  });
}

/**
 * TXT values at `name` as a CA's resolver finds them: the real `dig`, following each CNAME it
 * answers with (an authoritative BIND does not chase a CNAME into another zone itself).
 */
async function resolveTxt(server: RunningBind, name: string): Promise<string[]> {
  let current = name;
  for (let hop = 0; hop < 8; hop++) {
    const { stdout } = await promisify(execFile)('dig', ['+norecurse', '+short', '+time=2', '+tries=1', '-p', String(server.port), `@${server.host}`, current, 'TXT']);
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    const alias = lines.find((line) => !line.startsWith('"'));
    if (alias === undefined) return lines.map((line) => [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('')).sort();
    current = alias.trim();
  }
  throw new Error(`${name}: more than 8 CNAMEs`);
}

function delegatedVerifier(domains: readonly [string, string]): ChallengeVerifier {
  return {
    type: 'dns-01',
    domains,
    async validate(task) {
      const values = await resolveTxt(bind, `_acme-challenge.${task.domain}`);
      return { valid: values.includes(task.dnsTxtValue), detail: `TXT values through the CNAME: ${JSON.stringify(values)}` };
    },
  };
}

describeSolverConformance('dns-01 rfc2136 (BIND, _acme-challenge CNAME into another zone)', () => rfc2136(), () => delegatedVerifier(['www.example.test', 'api.example.test']));

describe('dns-01 rfc2136: CNAME delegation', () => {
  it('adds, waits for and deletes the record at the end of the chain, in its zone, and logs the delegation', async () => {
    const solver = await rfc2136();
    const task = makeTask('dns-01', 'two.example.test');
    const logger = recordingLogger();
    await solver.present(task, { logger, signal: new AbortController().signal });
    expect(await bind.digTxt('final.acme.test')).toEqual([task.dnsTxtValue]);
    expect(logger.lines.map((e) => e.message)).toContain(
      'dns-01: _acme-challenge.two.example.test. is a CNAME to hop.acme.test. -> final.acme.test.; updating zone acme.test.',
    );
    await solver.cleanup(task, context());
    expect(await bind.digTxt('final.acme.test')).toEqual([]);
  });

  it('deletes only our value at the target: another value there survives', async () => {
    const solver = await rfc2136();
    const first = makeTask('dns-01', 'www.example.test');
    const second = makeTask('dns-01', 'www.example.test', { wildcard: true });
    await solver.present(first, context());
    await solver.present(second, context());
    await solver.cleanup(first, context());
    expect(await bind.digTxt('_acme-challenge.www.acme.test')).toEqual([second.dnsTxtValue]);
    await solver.cleanup(second, context());
    expect(await bind.digTxt('_acme-challenge.www.acme.test')).toEqual([]);
  });

  it('a CNAME loop is a clear error naming the chain, before any update', async () => {
    const solver = await rfc2136();
    await expect(solver.present(makeTask('dns-01', 'loop.example.test'), context())).rejects.toThrow(
      `_acme-challenge.loop.example.test. is a CNAME loop: _acme-challenge.loop.example.test. -> _acme-challenge.loop2.example.test. -> _acme-challenge.loop.example.test. (seen through ${bind.server})`,
    );
  });

  it('a chain into a zone the TSIG key cannot update: REFUSED naming that zone and the delegation', async () => {
    const solver = await rfc2136();
    const task = makeTask('dns-01', 'locked.example.test');
    const error = (await solver.present(task, context()).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(error.message).toBe(
      `${bind.server} refused the update of zone locked.test. (REFUSED) (_acme-challenge.locked.example.test. is a CNAME to _acme-challenge.locked.locked.test.)`,
    );
    expect(error.hint).toContain(`key "${bind.updateKey.name}"`);
    // Refused: nothing to clean up, and cleanup does not try.
    await solver.cleanup(task, context());
  });

  it('zone: given still wins for the target zone (and the chain is still followed)', async () => {
    const solver = await rfc2136({ zone: 'acme.test' });
    const task = makeTask('dns-01', 'given.example.test');
    await solver.present(task, context());
    expect(await bind.digTxt('_acme-challenge.given.acme.test')).toEqual([task.dnsTxtValue]);
    await solver.cleanup(task, context());
    const wrong = await rfc2136({ zone: 'example.test' });
    await expect(wrong.present(makeTask('dns-01', 'given.example.test'), context())).rejects.toThrow(
      '_acme-challenge.given.acme.test. is not inside zone example.test. (_acme-challenge.given.example.test. is a CNAME to _acme-challenge.given.acme.test.)',
    );
  });

  it('followCname: false writes at the challenge name itself (BIND ignores a TXT beside a CNAME, so it never shows)', async () => {
    const solver = await rfc2136({ followCname: false, zone: 'example.test', propagationTimeout: '600ms' });
    const task = makeTask('dns-01', 'nofollow.example.test');
    await expect(solver.present(task, context())).rejects.toThrow(`TXT _acme-challenge.nofollow.example.test. "${task.dnsTxtValue}" is not visible after 600 ms`);
    expect(await bind.digTxt('_acme-challenge.nofollow.acme.test')).toEqual([]);
    await solver.cleanup(task, context());
  });

  it('resolver: follows the chain where the update server cannot (the domain zone elsewhere); updates and the wait stay on server:', async () => {
    const withoutResolver = await rfc2136({}, () => own);
    const refused = (await withoutResolver.present(makeTask('dns-01', 'www.example.test'), context()).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(refused.message).toBe(`cannot find the zone of _acme-challenge.www.example.test.: ${own.server} answered REFUSED`);
    expect(refused.hint).toContain('set `resolver:` to follow it');
    const solver = await rfc2136({ resolver: resolver.server }, () => own);
    const task = makeTask('dns-01', 'www.example.test');
    await solver.present(task, context());
    expect(await own.digTxt('_acme-challenge.www.acme.test')).toEqual([task.dnsTxtValue]);
    expect(await resolver.digTxt('_acme-challenge.www.acme.test')).toEqual([]);
    await solver.cleanup(task, context());
    expect(await own.digTxt('_acme-challenge.www.acme.test')).toEqual([]);
  });
});
