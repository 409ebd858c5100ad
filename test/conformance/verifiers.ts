/**
 * Real clients that check a challenge the way an ACME server's validator does, independent of the
 * solver code: an HTTP GET of the token URL, a TLS handshake with ALPN acme-tls/1 and SNI whose
 * certificate is read with @peculiar/x509 (a parser, not the generator the solver uses), and `dig`
 * against the authoritative BIND.
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:tls';
import * as x509 from '@peculiar/x509';
import type { ChallengeTask, ChallengeType } from '../../src/challenges/types.js';
import type { RunningBind } from '../helpers/bind.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface Verdict {
  valid: boolean;
  /** What the client saw, for assertion messages. */
  detail: string;
}

export interface ChallengeVerifier {
  type: ChallengeType;
  /** Two names the solver under test can answer for (the second for the "two at once" test). */
  domains: readonly [string, string];
  /** Would a validator accept this task right now? */
  validate(task: ChallengeTask): Promise<Verdict>;
}

export interface HttpAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** GET http://127.0.0.1:PORT/.well-known/acme-challenge/<token> with Host: <domain>, no keep-alive. */
export function httpGet(port: number, domain: string, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host: domain }, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }));
    });
    req.on('timeout', () => req.destroy(new Error('HTTP request timed out')));
    req.on('error', reject);
    req.end();
  });
}

export function httpVerifier(port: number, domains: readonly [string, string]): ChallengeVerifier {
  return {
    type: 'http-01',
    domains,
    async validate(task) {
      try {
        const answer = await httpGet(port, task.domain, `/.well-known/acme-challenge/${task.token}`);
        const valid = answer.status === 200 && answer.body === task.keyAuthorization && /^(text\/plain|application\/octet-stream)\b/.test(answer.contentType ?? '');
        return { valid, detail: `HTTP ${answer.status} ${answer.contentType ?? '(no content-type)'}: ${JSON.stringify(answer.body.slice(0, 120))}` };
      } catch (err) {
        return { valid: false, detail: `HTTP request failed: ${(err as Error).message}` };
      }
    },
  };
}

export interface AlpnHandshake {
  alpn: string | false;
  certDer: Buffer;
}

/** A TLS handshake to 127.0.0.1:PORT with SNI and the given ALPN list; resolves with what was served. */
export function tlsHandshake(port: number, servername: string, alpn: string[] | undefined): Promise<AlpnHandshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ALPNProtocols: alpn, rejectUnauthorized: false, timeout: 5_000 }, () => {
      const cert = socket.getPeerCertificate();
      resolve({ alpn: socket.alpnProtocol ?? false, certDer: cert.raw });
      socket.destroy();
    });
    socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** RFC 8737 section 3 checks on a served certificate. */
export function checkAcmeCertificate(der: Buffer, task: ChallengeTask): Verdict {
  const cert = new x509.X509Certificate(new Uint8Array(der));
  const problems: string[] = [];
  const identifier = cert.extensions.find((e) => e.type === '1.3.6.1.5.5.7.1.31');
  const expected = Buffer.concat([Buffer.from([0x04, 0x20]), createHash('sha256').update(task.keyAuthorization).digest()]);
  if (!identifier) problems.push('no acmeIdentifier extension');
  else {
    if (!identifier.critical) problems.push('acmeIdentifier not critical');
    if (!Buffer.from(identifier.value).equals(expected)) problems.push('acmeIdentifier value is not OCTET STRING(SHA-256(keyAuthorization))');
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items.map((n) => `${n.type}:${n.value}`) ?? [];
  if (names.length !== 1 || names[0] !== `dns:${task.domain}`) problems.push(`SAN is ${JSON.stringify(names)}, want exactly dns:${task.domain}`);
  return { valid: problems.length === 0, detail: problems.length === 0 ? 'certificate matches RFC 8737' : problems.join('; ') };
}

export function tlsAlpnVerifier(port: number, domains: readonly [string, string]): ChallengeVerifier {
  return {
    type: 'tls-alpn-01',
    domains,
    async validate(task) {
      let handshake: AlpnHandshake;
      try {
        handshake = await tlsHandshake(port, task.domain, ['acme-tls/1']);
      } catch (err) {
        return { valid: false, detail: `TLS handshake failed: ${(err as Error).message}` };
      }
      if (handshake.alpn !== 'acme-tls/1') return { valid: false, detail: `ALPN negotiated ${String(handshake.alpn)}` };
      return checkAcmeCertificate(handshake.certDer, task);
    },
  };
}

/** dns-01 through `dig` against the BIND: the TXT at _acme-challenge.<domain> holds the value. */
export function dnsVerifier(bind: RunningBind, domains: readonly [string, string]): ChallengeVerifier {
  return {
    type: 'dns-01',
    domains,
    async validate(task) {
      const values = await bind.digTxt(`_acme-challenge.${task.domain}`);
      return { valid: values.includes(task.dnsTxtValue), detail: `TXT values: ${JSON.stringify(values)}` };
    },
  };
}
