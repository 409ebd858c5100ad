/**
 * The agent's tls-alpn-01 listener (fleet/tls-alpn-01-server.ts) on loopback over a fake store:
 * the challenge certificate for the name in SNI, refusals without a certificate (and without a
 * store lookup) for clients that do not offer acme-tls/1, an unknown name or a store that fails,
 * the warnings a person must see when validations are turned away, and close() freeing the port.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveTlsAlpn01Answers, type TlsAlpn01Server } from '../../../src/fleet/tls-alpn-01-server.js';
import { recordingLogger } from '../../../src/logger.js';
import type { ChallengeToken } from '../../../src/store/ports.js';
import type { ChallengeTask } from '../../../src/challenges/types.js';
import { checkAcmeCertificate, tlsHandshake } from '../../conformance/verifiers.js';

const token = randomBytes(32).toString('base64url');
const task: ChallengeTask = { type: 'tls-alpn-01', domain: 'www.example.test', wildcard: false, token, keyAuthorization: `${token}.${randomBytes(32).toString('base64url')}`, dnsTxtValue: '' };
const stored: ChallengeToken = { token: task.token, keyAuthorization: task.keyAuthorization, identifier: task.domain, type: 'tls-alpn-01', expiresAt: Date.now() + 60_000 };

let server: TlsAlpn01Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function fakeTokens(answers: ChallengeToken[]) {
  const asked: Array<[string, string]> = [];
  return {
    asked,
    tokens: {
      forIdentifier: (identifier: string, type: ChallengeToken['type']) => {
        asked.push([identifier, type]);
        return Promise.resolve(answers.find((a) => a.identifier === identifier && a.type === type));
      },
    },
  };
}

describe('the agent tls-alpn-01 listener', () => {
  it('presents the RFC 8737 certificate for the stored key authorization of the name in SNI (any case)', async () => {
    const { tokens, asked } = fakeTokens([stored]);
    const logger = recordingLogger();
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, tokens, logger);
    for (const name of ['www.example.test', 'WWW.Example.Test']) {
      const got = await tlsHandshake(server.address.port, name, ['acme-tls/1']);
      expect(got.alpn).toBe('acme-tls/1');
      expect(checkAcmeCertificate(got.certDer, task)).toEqual({ valid: true, detail: 'certificate matches RFC 8737' });
    }
    expect(asked).toEqual([
      ['www.example.test', 'tls-alpn-01'],
      ['www.example.test', 'tls-alpn-01'],
    ]);
    expect(logger.lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'debug tls-alpn-01: answered for www.example.test',
      'debug tls-alpn-01: answered for www.example.test (certificate reused)',
    ]);
  });

  it('refuses a client that offers another protocol or no ALPN, without a certificate and without asking the store', async () => {
    const { tokens, asked } = fakeTokens([stored]);
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, tokens, recordingLogger());
    await expect(tlsHandshake(server.address.port, task.domain, ['h2', 'http/1.1'])).rejects.toThrow(/no.application.protocol/i);
    await expect(tlsHandshake(server.address.port, task.domain, undefined)).rejects.toThrow();
    expect(asked).toEqual([]);
  });

  it('refuses an unknown name and a failing store in the handshake, logging why at debug without the key authorization', async () => {
    const { tokens } = fakeTokens([stored]);
    const logger = recordingLogger();
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, tokens, logger);
    await expect(tlsHandshake(server.address.port, 'other.example.test', ['acme-tls/1'])).rejects.toThrow();
    await server.close();
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, { forIdentifier: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) }, logger);
    await expect(tlsHandshake(server.address.port, task.domain, ['acme-tls/1'])).rejects.toThrow();
    expect(logger.lines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'debug tls-alpn-01: refused other.example.test: no tls-alpn-01 answer in the store (none, or expired)',
      'debug tls-alpn-01: refused www.example.test: the store lookup failed: connect ECONNREFUSED 127.0.0.1:5432',
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain(task.keyAuthorization);
  });

  it('warns once a minute when its limits turn validations away', async () => {
    const { tokens } = fakeTokens([stored, { ...stored, identifier: 'api.example.test', token: 't2' }, { ...stored, identifier: 'web.example.test', token: 't3' }]);
    const logger = recordingLogger();
    const clock = { t: 0 };
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, tokens, logger, { limits: { burst: 1, perSecond: 0.001 }, now: () => clock.t });
    await tlsHandshake(server.address.port, 'www.example.test', ['acme-tls/1']);
    await expect(tlsHandshake(server.address.port, 'api.example.test', ['acme-tls/1'])).rejects.toThrow();
    await expect(tlsHandshake(server.address.port, 'web.example.test', ['acme-tls/1'])).rejects.toThrow();
    expect(logger.lines.map((l) => `${l.level} ${l.message}`).slice(1)).toEqual([
      'warn tls-alpn-01: refused api.example.test: more than 0.001 challenge certificates a second asked for (said at most once a minute)',
      'debug tls-alpn-01: refused web.example.test: more than 0.001 challenge certificates a second asked for',
    ]);
  });

  it('drops a client that never completes its handshake (a scanner holding sockets open)', async () => {
    const { tokens } = fakeTokens([]);
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, tokens, recordingLogger(), { handshakeTimeoutMs: 200 });
    const idle = connect(server.address.port, '127.0.0.1');
    idle.on('error', () => {});
    await new Promise((resolve) => idle.on('close', resolve));
    expect(idle.destroyed).toBe(true);
  });

  it('close() ends a connection that never sent a ClientHello and frees the port', async () => {
    const { tokens } = fakeTokens([]);
    server = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, tokens, recordingLogger());
    const { port } = server.address;
    const idle = connect(port, '127.0.0.1');
    const closed = new Promise((resolve) => idle.on('close', resolve));
    idle.on('error', () => {});
    await new Promise((resolve) => idle.on('connect', resolve));
    await server.close();
    server = undefined;
    await closed;
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
