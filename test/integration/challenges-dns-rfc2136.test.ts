/**
 * dns-01 through RFC 2136 + TSIG against a real BIND on loopback: the conformance suite (dig sees
 * the TXT), each TSIG algorithm, and the failures an operator meets, each with the message that
 * names the cause: unknown key (BADKEY), wrong secret (BADSIG), a key not allowed (REFUSED), a zone
 * the server does not serve (NOTAUTH), a silent or closed server, a record that never shows on a
 * name server (propagation timeout), a cancelled run, and a truncated answer read again over TCP.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange } from '../../src/challenges/dns/transport.js';
import { signRequest, verifyResponse } from '../../src/challenges/dns/tsig.js';
import { encodeUpdate } from '../../src/challenges/dns/wire.js';
import { recordingLogger } from '../../src/logger.js';
import { startBind, type RunningBind, type TsigKey } from '../helpers/bind.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { dnsVerifier } from '../conformance/verifiers.js';

let bind: RunningBind;
// 24 TXT values of 100 bytes at one name: more than a 512-byte UDP answer can hold.
const bigValues = Array.from({ length: 24 }, (_, i) => `"${String(i).padStart(2, '0')}${'x'.repeat(98)}"`);

beforeAll(async () => {
  bind = await startBind({
    zones: ['example.test', 'split.test'],
    records: {
      'example.test': bigValues.map((v) => `_acme-challenge.big IN TXT ${v}`),
      // A second name server that never has the record (nothing serves 127.0.0.2:53 here).
      'split.test': ['@ IN NS ns2.split.test.', 'ns2 IN A 127.0.0.2'],
    },
  });
});

afterAll(async () => {
  await bind?.stop();
});

const context = (signal: AbortSignal = new AbortController().signal) => ({ logger: recordingLogger(), signal });

function rfc2136(overrides: Record<string, unknown> = {}, key: TsigKey = bind.updateKey) {
  return solverFromConfig({
    type: 'dns-01',
    provider: 'rfc2136',
    server: bind.server,
    tsig: { name: key.name, algorithm: key.algorithm, secret: key.secret },
    timeout: '2s',
    propagationTimeout: '5s',
    pollInterval: '100ms',
    ...overrides,
  });
}

describeSolverConformance('dns-01 rfc2136 (BIND)', () => rfc2136(), () => dnsVerifier(bind, ['www.example.test', 'api.example.test']));

describeSolverConformance(
  'dns-01 rfc2136 (BIND, zone given, hmac-sha512)',
  () => rfc2136({ zone: 'example.test' }, bind.updateKeys[1]),
  () => dnsVerifier(bind, ['mail.example.test', 'deep.sub.example.test']),
);

describe('dns-01 rfc2136 against BIND', () => {
  it.each(['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const)('signs with %s and verifies the server response', async (algorithm) => {
    const key = bind.updateKeys.find((k) => k.algorithm === algorithm) as TsigKey;
    const solver = await rfc2136({}, key);
    const task = makeTask('dns-01', `${algorithm}.example.test`);
    await solver.present(task, context());
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([task.dnsTxtValue]);
    await solver.cleanup(task, context());
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([]);
  });

  it('reads the secret from an environment variable through resolveChallengeSecrets', async () => {
    const solver = await solverFromConfig(
      { type: 'dns-01', provider: 'rfc2136', server: bind.server, tsig: { name: bind.updateKey.name, secretEnv: 'TSIG_SECRET' }, pollInterval: '100ms' },
      {},
      { TSIG_SECRET: bind.updateKey.secret },
    );
    const task = makeTask('dns-01', 'env.example.test');
    await solver.present(task, context());
    await solver.cleanup(task, context());
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([]);
  });

  it('names an unknown key: "TSIG key rejected by HOST:PORT: BADKEY"', async () => {
    const solver = await rfc2136({}, { name: 'no-such-key', algorithm: 'hmac-sha256', secret: bind.updateKey.secret });
    const task = makeTask('dns-01', 'badkey.example.test');
    await expect(solver.present(task, context())).rejects.toThrow(`TSIG key rejected by ${bind.server}: BADKEY`);
    // The server said no, so nothing was added: cleanup has nothing to do (and does not fail on the key again).
    await solver.cleanup(task, context());
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([]);
  });

  it('names a wrong secret: BADSIG', async () => {
    const solver = await rfc2136({}, { ...bind.updateKey, secret: Buffer.alloc(32, 7).toString('base64') });
    await expect(solver.present(makeTask('dns-01', 'badsig.example.test'), context())).rejects.toThrow(`TSIG key rejected by ${bind.server}: BADSIG`);
  });

  it('names a key that may not update the zone: REFUSED', async () => {
    const solver = await rfc2136({}, bind.otherKey);
    const error = await solver.present(makeTask('dns-01', 'refused.example.test'), context()).catch((e: Error & { hint?: string }) => e);
    expect((error as Error).message).toBe(`${bind.server} refused the update of zone example.test. (REFUSED)`);
    expect((error as { hint?: string }).hint).toContain(`key "${bind.otherKey.name}"`);
  });

  it('names a zone the server does not serve: NOTAUTH when given, the SOA answer when looked up', async () => {
    const given = await rfc2136({ zone: 'unknown.test' });
    await expect(given.present(makeTask('dns-01', 'www.unknown.test'), context())).rejects.toThrow(`${bind.server} is not authoritative for zone unknown.test. (NOTAUTH)`);
    const looked = await rfc2136();
    await expect(looked.present(makeTask('dns-01', 'www.unknown.test'), context())).rejects.toThrow(
      `cannot find the zone of _acme-challenge.www.unknown.test.: ${bind.server} answered REFUSED`,
    );
  });

  it('reports a server that never answers with the time it waited', async () => {
    const silent = createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    const server = `127.0.0.1:${silent.address().port}`;
    try {
      const solver = await rfc2136({ server, zone: 'example.test', timeout: '600ms' });
      const started = Date.now();
      await expect(solver.present(makeTask('dns-01', 'www.example.test'), context())).rejects.toThrow(`no answer from DNS server ${server} within 600 ms (UDP)`);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      silent.close();
    }
  });

  it('reports a closed port at once', async () => {
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const server = `127.0.0.1:${probe.address().port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const solver = await rfc2136({ server, zone: 'example.test', timeout: '5s' });
    const started = Date.now();
    await expect(solver.present(makeTask('dns-01', 'www.example.test'), context())).rejects.toThrow(`${server} refused the UDP connection: is a DNS server listening there?`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('waits for every name server of the zone and times out naming the one that lacks the record; cleanup still removes it', async () => {
    const solver = await rfc2136({ propagationTimeout: '1s', timeout: '300ms' });
    const task = makeTask('dns-01', 'www.split.test');
    const started = Date.now();
    const error = (await solver.present(task, context()).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(new RegExp(`^TXT _acme-challenge\\.www\\.split\\.test\\. "${task.dnsTxtValue}" is not visible after 1 s on 127\\.0\\.0\\.2:53 \\(`));
    expect(error.message).not.toContain(bind.server); // the configured server had it
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([task.dnsTxtValue]);
    await solver.cleanup(task, context());
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([]);
  });

  it('stops waiting when the run is cancelled, and cleanup (with the same aborted signal) removes the record', async () => {
    const solver = await rfc2136({ propagationTimeout: '30s', timeout: '300ms' });
    const task = makeTask('dns-01', 'cancel.split.test');
    const controller = new AbortController();
    const started = Date.now();
    const presenting = solver.present(task, context(controller.signal));
    setTimeout(() => controller.abort(new Error('run cancelled')), 400);
    await expect(presenting).rejects.toThrow('run cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
    await solver.cleanup(task, context(controller.signal));
    expect(await bind.digTxt(`_acme-challenge.${task.domain}`)).toEqual([]);
  });

  it('reads an answer truncated over UDP again over TCP', async () => {
    const name = '_acme-challenge.big.example.test';
    // The harness's UDP-only reader gets a truncated answer; dig (which retries over TCP) gets all.
    expect((await bind.txt(name)).length).toBeLessThan(bigValues.length);
    expect(await bind.digTxt(name)).toHaveLength(bigValues.length);
    const solver = await rfc2136({ propagationTimeout: '2s' });
    const task = makeTask('dns-01', 'big.example.test');
    await solver.present(task, context());
    expect(await bind.digTxt(name)).toHaveLength(bigValues.length + 1);
    await solver.cleanup(task, context());
    expect(await bind.digTxt(name)).toHaveLength(bigValues.length);
  });

  it("verifies BIND's response signature, and rejects a tampered response or one to another request", async () => {
    const key = { name: bind.updateKey.name, algorithm: bind.updateKey.algorithm, secret: Buffer.from(bind.updateKey.secret, 'base64') };
    const name = '_acme-challenge.tsig.example.test.';
    const request = signRequest(encodeUpdate(4242, 'example.test.', [{ action: 'add', name, ttl: 60, txt: 'tsig-check' }]), key);
    const response = await exchange({ host: bind.host, port: bind.port }, request.message, { timeoutMs: 2_000, signal: new AbortController().signal });
    expect(verifyResponse(response, key, request.mac)).toEqual({ status: 'verified' });
    const tampered = Buffer.from(response);
    tampered.writeUInt16BE(tampered.readUInt16BE(2) ^ 0x0400, 2); // flip the AA bit
    expect(() => verifyResponse(tampered, key, request.mac)).toThrow('response TSIG MAC does not verify');
    expect(() => verifyResponse(response, key, Buffer.alloc(request.mac.length))).toThrow('response TSIG MAC does not verify');
    expect(await bind.digTxt(name)).toEqual(['tsig-check']);
    const removal = signRequest(encodeUpdate(4243, 'example.test.', [{ action: 'delete', name, ttl: 0, txt: 'tsig-check' }]), key);
    await exchange({ host: bind.host, port: bind.port }, removal.message, { timeoutMs: 2_000, signal: new AbortController().signal });
    expect(await bind.digTxt(name)).toEqual([]);
  });
});
