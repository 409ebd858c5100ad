/**
 * A small ACME CA on loopback HTTPS that follows RFC 9773 (ARI) the way Pebble 2.10 does, for the
 * ARI and `replaces` behaviour Pebble 2.4 (the packaged one) cannot show:
 *
 *  - GET {renewalInfo}/{certID} (certID = base64url(AKI keyIdentifier) "." base64url(serial DER))
 *    answers 200 with `suggestedWindow` [ideal - 1 d, ideal + 1 d], ideal = notAfter - validity / 3,
 *    and `Retry-After: 21600`; a revoked certificate gets a window in the past (Boulder's: from an
 *    hour ago, for 30 minutes) and an explanationURL; an unknown certID is 404.
 *  - newOrder with `replaces` (RFC 9773 5) is checked: the certificate must be known, ordered by the
 *    same account, share an identifier with the order (else 400 malformed), and not be replaced by
 *    a finalized order already (else 409 alreadyReplaced).
 *  - Tests script any renewalInfo answer (500, a malformed window, a Retry-After of 0 or of ten
 *    years) and any newOrder answer through `script`.
 *
 * It checks no signatures (the client's JWS is tested elsewhere); every authorization is valid from
 * the start. Certificates are real, issued by an intermediate with an AKI, for the order's names and the CSR's key.
 */
import 'reflect-metadata';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { chain, issueForCsr, type Issued } from './pki.js';

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface AriCaScript {
  /** An answer for this renewalInfo request instead of the RFC's; undefined answers as the RFC says. */
  renewalInfo?: (certId: string) => ScriptedAnswer | undefined;
  /** An answer for this newOrder instead of creating the order; undefined creates it. */
  newOrder?: (payload: { identifiers: string[]; replaces?: string }) => ScriptedAnswer | undefined;
}

export interface IssuedByAriCa {
  certId: string;
  identifiers: string[];
  account: string;
  notBefore: number;
  notAfter: number;
  revoked: boolean;
  /** The finalized order that replaced it. */
  replacedBy?: number;
}

export interface AriCaRequest {
  method: string;
  path: string;
  status: number;
  /** newOrder payloads, as sent. */
  payload?: Record<string, unknown>;
}

export interface AriCa {
  directoryUrl: string;
  /** PEM of the root that signs the server's HTTPS certificate: the client's caBundlePem. */
  caBundlePem: string;
  readonly requests: AriCaRequest[];
  readonly certificates: Map<string, IssuedByAriCa>;
  /** Change what the CA answers, at any time. */
  script: AriCaScript;
  /** Mark a certificate revoked (what RFC 9773 and Pebble then suggest: a window in the past). */
  revoke(certId: string): void;
  close(): Promise<void>;
}

export interface AriCaOptions {
  /** Validity of the certificates it issues (default 6 days, Let's Encrypt's short-lived). */
  validityDays?: number;
  /** The renewalInfo path, with or without a trailing slash. */
  renewalInfoPath?: string;
}

const DAY = 86_400_000;

function certIdOf(issued: Pick<Issued, 'cert'>): string {
  const aki = issued.cert.getExtension('2.5.29.35')!;
  // AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier } (DER: 30 len 80 len <id>).
  const value = Buffer.from(aki.value);
  const keyId = value.subarray(4, 4 + value[3]!);
  const serialHex = issued.cert.serialNumber;
  let serial = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  if (serial[0]! & 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return `${keyId.toString('base64url')}.${serial.toString('base64url')}`;
}

export async function startAriCa(options: AriCaOptions = {}): Promise<AriCa> {
  const pki = await chain({ commonName: 'localhost', sans: ['localhost', '127.0.0.1'], days: 2 });
  const validity = (options.validityDays ?? 6) * DAY;
  const ariPath = options.renewalInfoPath ?? '/renewal-info';
  const requests: AriCaRequest[] = [];
  const certificates = new Map<string, IssuedByAriCa>();
  const orders = new Map<number, { identifiers: string[]; account: string; replaces?: string; finalized: boolean; pem?: string }>();
  let nonces = 0;
  let accounts = 0;
  const accountsByKey = new Map<string, string>();
  let base = '';
  const ca: AriCa = {
    directoryUrl: '',
    caBundlePem: pki.root.certPem,
    requests,
    certificates,
    script: {},
    revoke(certId) {
      certificates.get(certId)!.revoked = true;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const send = (res: ServerResponse, answer: ScriptedAnswer, extra: Record<string, string> = {}) => {
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === 'string' ? 'application/pem-certificate-chain' : answer.status >= 400 ? 'application/problem+json' : 'application/json';
    res.writeHead(answer.status, { 'Content-Type': type, 'Replay-Nonce': `n${++nonces}`, ...extra, ...answer.headers }).end(text);
  };
  const problem = (status: number, type: string, detail: string): ScriptedAnswer => ({ status, body: { type: `urn:ietf:params:acme:error:${type}`, detail, status } });
  const orderBody = (id: number) => {
    const order = orders.get(id)!;
    return {
      status: order.finalized ? 'valid' : 'ready',
      identifiers: order.identifiers.map((value) => ({ type: 'dns', value })),
      authorizations: order.identifiers.map((_, i) => `${base}/authz/${id}-${i}`),
      finalize: `${base}/finalize/${id}`,
      ...(order.replaces ? { replaces: order.replaces } : {}),
      ...(order.finalized ? { certificate: `${base}/cert/${id}` } : {}),
    };
  };

  const renewalInfo = (certId: string): ScriptedAnswer => {
    const scripted = ca.script.renewalInfo?.(certId);
    if (scripted) return scripted;
    const cert = certificates.get(certId);
    if (!cert) return problem(404, 'malformed', `no certificate ${certId}`);
    if (cert.revoked) {
      const start = Date.now() - 3_600_000;
      return { status: 200, body: { suggestedWindow: { start: new Date(start).toISOString(), end: new Date(start + 1_800_000).toISOString() }, explanationURL: `${base}/docs/revoked` }, headers: { 'Retry-After': '21600' } };
    }
    const ideal = cert.notAfter - (cert.notAfter - cert.notBefore) / 3;
    return { status: 200, body: { suggestedWindow: { start: new Date(ideal - DAY).toISOString(), end: new Date(ideal + DAY).toISOString() } }, headers: { 'Retry-After': '21600' } };
  };

  const newOrder = (account: string, payload: { identifiers: string[]; replaces?: string }): ScriptedAnswer => {
    const scripted = ca.script.newOrder?.(payload);
    if (scripted) return scripted;
    if (payload.replaces !== undefined) {
      // RFC 9773 5, as Pebble checks it.
      const old = certificates.get(payload.replaces);
      if (!old) return problem(404, 'malformed', `unable to find the certificate ${payload.replaces} to replace`);
      if (old.account !== account) return problem(403, 'unauthorized', 'the certificate to replace was issued to another account');
      if (!payload.identifiers.some((i) => old.identifiers.includes(i))) {
        return problem(400, 'malformed', 'identifiers in this order do not match any identifiers in the replaced certificate: they must match at least one');
      }
      if (old.replacedBy !== undefined) return problem(409, 'alreadyReplaced', `certificate ${payload.replaces} was already replaced by order ${old.replacedBy}`);
    }
    const id = orders.size + 1;
    orders.set(id, { identifiers: payload.identifiers, account, ...(payload.replaces ? { replaces: payload.replaces } : {}), finalized: false });
    return { status: 201, body: orderBody(id), headers: { Location: `${base}/order/${id}` } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const record = (status: number, payload?: Record<string, unknown>) => requests.push({ method: req.method ?? '', path: url.pathname, status, ...(payload ? { payload } : {}) });
    if (req.method === 'GET' && url.pathname === '/dir') {
      record(200);
      send(res, { status: 200, body: { newNonce: `${base}/new-nonce`, newAccount: `${base}/new-account`, newOrder: `${base}/new-order`, revokeCert: `${base}/revoke`, renewalInfo: `${base}${ariPath}` } });
      return;
    }
    if (url.pathname === '/new-nonce') {
      res.writeHead(req.method === 'HEAD' ? 200 : 204, { 'Replay-Nonce': `n${++nonces}`, 'Cache-Control': 'no-store' }).end();
      return;
    }
    const ariPrefix = `${ariPath.replace(/\/+$/, '')}/`;
    if (url.pathname.startsWith(ariPrefix)) {
      // RFC 9773 4.1: a GET, unauthenticated.
      const answer = req.method === 'GET' ? renewalInfo(decodeURIComponent(url.pathname.slice(ariPrefix.length))) : { status: 405 };
      record(answer.status);
      send(res, answer);
      return;
    }
    if (req.method !== 'POST') {
      record(405);
      res.writeHead(405).end();
      return;
    }
    const jws = JSON.parse(body) as { protected: string; payload: string };
    const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { kid?: string; jwk?: unknown };
    const payload = jws.payload === '' ? null : (JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Record<string, unknown>);
    const [, kind = '', id = ''] = url.pathname.split('/');
    let answer: ScriptedAnswer;
    switch (kind) {
      case 'new-account': {
        const key = JSON.stringify(header.jwk);
        let account = accountsByKey.get(key);
        if (!account && payload?.onlyReturnExisting === true) {
          answer = problem(400, 'accountDoesNotExist', 'no account for this key');
          break;
        }
        const created = account === undefined;
        account ??= `${base}/acct/${++accounts}`;
        accountsByKey.set(key, account);
        answer = { status: created ? 201 : 200, body: { status: 'valid', contact: [] }, headers: { Location: account } };
        break;
      }
      case 'new-order': {
        const identifiers = ((payload?.identifiers ?? []) as Array<{ value: string }>).map((i) => i.value);
        const replaces = typeof payload?.replaces === 'string' ? payload.replaces : undefined;
        answer = newOrder(header.kid ?? '', { identifiers, ...(replaces !== undefined ? { replaces } : {}) });
        break;
      }
      case 'authz': {
        const [orderId, index] = id.split('-').map(Number);
        const identifier = orders.get(orderId!)!.identifiers[index!]!;
        answer = { status: 200, body: { status: 'valid', identifier: { type: 'dns', value: identifier }, challenges: [{ type: 'http-01', url: `${base}/chall/${id}`, token: `t${id}`, status: 'valid' }] } };
        break;
      }
      case 'order':
        answer = { status: 200, body: orderBody(Number(id)) };
        break;
      case 'finalize': {
        const order = orders.get(Number(id))!;
        // Whole seconds: a certificate's times have no milliseconds.
        const notBefore = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
        const csr = Buffer.from(String(payload?.csr ?? ''), 'base64url');
        const leaf = await issueForCsr(csr, { commonName: order.identifiers[0]!, sans: order.identifiers, notBefore, notAfter: new Date(notBefore.getTime() + validity) }, pki.intermediate);
        const certId = certIdOf(leaf);
        certificates.set(certId, { certId, identifiers: order.identifiers, account: order.account, notBefore: notBefore.getTime(), notAfter: notBefore.getTime() + validity, revoked: false });
        if (order.replaces) certificates.get(order.replaces)!.replacedBy = Number(id);
        order.finalized = true;
        order.pem = leaf.certPem + pki.intermediate.certPem;
        answer = { status: 200, body: orderBody(Number(id)), headers: { Location: `${base}/order/${id}` } };
        break;
      }
      case 'cert':
        answer = { status: 200, body: orders.get(Number(id))!.pem! };
        break;
      case 'revoke': {
        // RFC 8555 7.6: the certificate is in the payload; what RFC 9773 says next is a window in the past.
        const der = Buffer.from(String(payload?.certificate ?? ''), 'base64url');
        const known = certificates.get(certIdOf({ cert: new x509.X509Certificate(der) }));
        if (known?.revoked) answer = problem(400, 'alreadyRevoked', 'already revoked');
        else {
          if (known) known.revoked = true;
          answer = { status: 200, body: {} };
        }
        break;
      }
      default:
        answer = problem(404, 'malformed', `no resource ${url.pathname}`);
    }
    record(answer.status, kind === 'new-order' && payload ? payload : undefined);
    send(res, answer);
  };

  const server: Server = createServer({ cert: pki.leaf.certPem + pki.intermediate.certPem, key: pki.leaf.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ca.directoryUrl = `${base}/dir`;
  return ca;
}
