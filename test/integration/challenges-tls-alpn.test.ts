/**
 * tls-alpn-01 (RFC 8737): our own TLS listener on 127.0.0.1. The conformance suite (a handshake
 * with ALPN acme-tls/1 and SNI, certificate read with @peculiar/x509), the same check through
 * `openssl s_client` as a second, independent client, and the refusals the RFC asks for.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TlsAlpnSolver } from '../../src/challenges/tls-alpn-01/standalone.js';
import { recordingLogger } from '../../src/logger.js';
import { freeTcpPort } from '../helpers/nginx.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { checkAcmeCertificate, tlsAlpnVerifier, tlsHandshake } from '../conformance/verifiers.js';

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });
const port = await freeTcpPort();

describeSolverConformance(
  'tls-alpn-01 standalone',
  () => solverFromConfig({ type: 'tls-alpn-01', port, address: '127.0.0.1' }),
  tlsAlpnVerifier(port, ['www.example.test', 'api.example.test']),
);

function opensslText(p: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${p}`, '-servername', servername, '-alpn', 'acme-tls/1', '-showcerts'],
      { timeout: 10_000 },
      (_err, stdout) => {
        const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0];
        if (!pem) return reject(new Error(`openssl s_client got no certificate:\n${stdout}`));
        const x509 = execFile('openssl', ['x509', '-noout', '-text', '-certopt', 'ext_parse'], (err2, text) => (err2 ? reject(err2) : resolve(`${stdout}\n${text}`)));
        x509.stdin?.end(pem);
      },
    );
    client.stdin?.end();
  });
}

describe('tls-alpn-01 listener', () => {
  it('serves a certificate openssl reads as RFC 8737 wants: critical acmeIdentifier = SHA-256(keyAuthorization), one SAN', async () => {
    const p = await freeTcpPort();
    const solver = new TlsAlpnSolver({ port: p, address: '127.0.0.1' });
    const task = makeTask('tls-alpn-01', 'www.example.test');
    try {
      await solver.present(task, context());
      const text = await opensslText(p, task.domain);
      expect(text).toMatch(/ALPN protocol: acme-tls\/1/);
      // ext_parse shows the extension value parsed as DER: one OCTET STRING of 32 bytes, in hex.
      const section = /1\.3\.6\.1\.5\.5\.7\.1\.31: critical\n([\s\S]+?)\n\s*\n/.exec(text)?.[1] ?? '';
      expect(section).toMatch(/prim: OCTET STRING/);
      expect(section).toMatch(/l=\s*32 /);
      const hex = [...section.matchAll(/^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})/gm)].map((m) => (m[1] as string).replace(/[ -]/g, '')).join('');
      expect(hex).toBe(createHash('sha256').update(task.keyAuthorization).digest('hex'));
      expect(text).toMatch(new RegExp(`DNS:${task.domain.replace(/\./g, '\\.')}\\s*\\n`));
    } finally {
      await solver.close();
    }
  });

  it('refuses clients that do not offer acme-tls/1 (another protocol, or no ALPN at all) before sending a certificate', async () => {
    const p = await freeTcpPort();
    const solver = new TlsAlpnSolver({ port: p, address: '127.0.0.1' });
    const task = makeTask('tls-alpn-01', 'www.example.test');
    try {
      await solver.present(task, context());
      await expect(tlsHandshake(p, task.domain, ['h2', 'http/1.1'])).rejects.toThrow(/no.application.protocol|NO_APPLICATION_PROTOCOL/i);
      await expect(tlsHandshake(p, task.domain, undefined)).rejects.toThrow();
      // An unknown name gets nothing either.
      await expect(tlsHandshake(p, 'other.example.test', ['acme-tls/1'])).rejects.toThrow();
      // And the real thing still works on the same listener.
      const ok = await tlsHandshake(p, task.domain, ['acme-tls/1']);
      expect(checkAcmeCertificate(ok.certDer, task)).toEqual({ valid: true, detail: 'certificate matches RFC 8737' });
    } finally {
      await solver.close();
    }
  });

  it('matches SNI case-insensitively', async () => {
    const p = await freeTcpPort();
    const solver = new TlsAlpnSolver({ port: p, address: '127.0.0.1' });
    const task = makeTask('tls-alpn-01', 'www.example.test');
    try {
      await solver.present(task, context());
      const answer = await tlsHandshake(p, 'WWW.Example.TEST', ['acme-tls/1']);
      expect(checkAcmeCertificate(answer.certDer, task).valid).toBe(true);
    } finally {
      await solver.close();
    }
  });

  it('reports a busy port as "port N is in use"', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const p = (blocker.address() as { port: number }).port;
    const solver = new TlsAlpnSolver({ port: p, address: '127.0.0.1' });
    try {
      await expect(solver.present(makeTask('tls-alpn-01', 'www.example.test'), context())).rejects.toThrow(`port ${p} is in use`);
    } finally {
      await solver.close();
      blocker.close();
    }
  });
});
