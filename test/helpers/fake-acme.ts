/**
 * A tiny in-process ACME server on loopback (plain HTTP) for unit tests of the client's own
 * behaviour: what it sends, how many at once, how it retries. It does not check signatures; it
 * checks nonces (each issued once, each usable once) and can reject good ones as badNonce on
 * demand. Every authorization is valid from the start, so one issuance is a fixed sequence:
 * newAccount, newOrder, authorizations, finalize, (order), certificate. With `dnsPersist` it is a
 * dns-persist-01 CA instead (draft-ietf-acme-dns-persist-02): authorizations start pending, and
 * answering the challenge validates the _validation-persist record on the test's BIND (dns-persist.ts).
 * Finalization issues what a CA must: a leaf for the CSR's key and names, under the fake CA's own
 * certificate (sent after it as the chain); `wrongLeaf` makes it send one fixed `fake.test` leaf with
 * its own key instead, as a misbehaving CA would.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validatePersistRecord, type PersistCa } from './dns-persist.js';
import { issue, issueForCsr } from './pki.js';

export interface FakeAcmeOptions {
  /** Decide, per signed request that carries a good nonce, whether to answer badNonce anyway. */
  rejectNonce?: (request: SignedRequest) => boolean;
  /** Leave the Replay-Nonce header off badNonce answers (RFC 8555 says SHOULD, not MUST). */
  badNonceWithoutNonce?: boolean;
  /** Hold every authorization answer this long, so concurrent fetches overlap measurably. */
  authorizationDelayMs?: number;
  /** Authorizations the orders start with: `valid`, or `pending` (answering the challenge makes it valid). */
  authorizationStatus?: 'valid' | 'pending';
  /**
   * Offer dns-persist-01 as draft-ietf-acme-dns-persist-02 defines it: the directory's meta carries
   * issuerDomainNames and accountHashPrefix, authorizations start pending with one dns-persist-01
   * challenge, and answering it looks the record up on `dnsServer` (BIND) and checks it (dns-persist.ts).
   */
  dnsPersist?: PersistCa;
  /** Answer every certificate download with the same self-signed `fake.test` leaf, whatever was ordered. */
  wrongLeaf?: boolean;
}

export interface SignedRequest {
  /** Path of the URL, e.g. `/authz/3`. */
  path: string;
  /** Resource kind: the path's first segment (`new-account`, `authz`, `cert`...). */
  kind: string;
  /** True for POST-as-GET. */
  postAsGet: boolean;
}

export interface FakeAcme {
  directoryUrl: string;
  /** Every signed request, in arrival order, with the answer's status and whether it was badNonce. */
  readonly requests: Array<SignedRequest & { status: number; badNonce: boolean }>;
  /** Most requests (any method) that were in flight at once. */
  readonly maxInFlight: number;
  /** Switch `wrongLeaf` on or off for the orders finalized from now on. */
  wrongLeaf: boolean;
  close(): Promise<void>;
}

interface Order {
  id: number;
  identifiers: string[];
  finalized: boolean;
  /** The chain issued at finalization, leaf first. */
  pem?: string;
}

export async function startFakeAcme(options: FakeAcmeOptions = {}): Promise<FakeAcme> {
  const caCert = await issue({ commonName: 'certfleet Fake ACME CA', ca: true, days: 30 });
  const wrongLeaf = await issue({ commonName: 'fake.test', sans: ['fake.test'], days: 2 });
  let sendWrongLeaf = options.wrongLeaf ?? false;
  const issued = new Set<string>();
  let nonceCounter = 0;
  const requests: Array<SignedRequest & { status: number; badNonce: boolean }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let accountUrl: string | undefined;
  /** The account key's public JWK, from the newAccount request (dns-persist-01 hashes its thumbprint). */
  let accountJwk: Record<string, unknown> | undefined;
  const orders = new Map<number, Order>();
  const authorizations = new Map<number, { identifier: string; status: string; challengeStatus?: string; error?: { type: string; detail: string; status: number } }>();
  let base = '';

  const nonce = () => {
    const value = `n${++nonceCounter}`;
    issued.add(value);
    return value;
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'application/pem-certificate-chain' : status >= 400 ? 'application/problem+json' : 'application/json';
    res.writeHead(status, { 'Content-Type': type, 'Replay-Nonce': nonce(), ...headers }).end(text);
  };
  const problem = (res: ServerResponse, status: number, type: string, detail: string, withNonce = true) => {
    const body = JSON.stringify({ type: `urn:ietf:params:acme:error:${type}`, detail, status });
    res.writeHead(status, { 'Content-Type': 'application/problem+json', ...(withNonce ? { 'Replay-Nonce': nonce() } : {}) }).end(body);
  };
  const orderBody = (order: Order) => {
    const authz = order.identifiers.map((_, i) => `${base}/authz/${order.id * 100_000 + i}`);
    const allValid = order.identifiers.every((_, i) => authorizations.get(order.id * 100_000 + i)?.status === 'valid');
    return {
      status: order.finalized ? 'valid' : allValid ? 'ready' : 'pending',
      identifiers: order.identifiers.map((value) => ({ type: 'dns', value })),
      authorizations: authz,
      finalize: `${base}/finalize/${order.id}`,
      ...(order.finalized ? { certificate: `${base}/cert/${order.id}` } : {}),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    if (req.method === 'GET' && url.pathname === '/dir') {
      const meta = options.dnsPersist ? { meta: { issuerDomainNames: options.dnsPersist.issuerDomainNames, accountHashPrefix: options.dnsPersist.accountHashPrefix } } : {};
      send(res, 200, { newNonce: `${base}/new-nonce`, newAccount: `${base}/new-account`, newOrder: `${base}/new-order`, revokeCert: `${base}/revoke`, keyChange: `${base}/key-change`, ...meta });
      return;
    }
    if (url.pathname === '/new-nonce') {
      res.writeHead(req.method === 'HEAD' ? 200 : 204, { 'Replay-Nonce': nonce(), 'Cache-Control': 'no-store' }).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const jws = JSON.parse(body) as { protected: string; payload: string };
    const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { nonce?: string; url?: string; jwk?: Record<string, unknown> };
    const payload = jws.payload === '' ? null : (JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Record<string, unknown>);
    const [, kind = '', idText = ''] = url.pathname.split('/');
    const request: SignedRequest = { path: url.pathname, kind, postAsGet: payload === null };
    const record = (status: number, badNonce = false) => requests.push({ ...request, status, badNonce });
    if (header.url !== url.href) {
      record(401);
      problem(res, 401, 'unauthorized', `JWS url ${header.url} is not ${url.href}`);
      return;
    }
    const good = header.nonce !== undefined && issued.delete(header.nonce);
    if (!good || options.rejectNonce?.(request)) {
      record(400, true);
      problem(res, 400, 'badNonce', `bad nonce ${header.nonce}`, !options.badNonceWithoutNonce);
      return;
    }
    const id = Number(idText);
    switch (kind) {
      case 'new-account': {
        if (payload?.onlyReturnExisting === true && accountUrl === undefined) {
          record(400);
          problem(res, 400, 'accountDoesNotExist', 'no account for this key');
          return;
        }
        const created = accountUrl === undefined;
        accountUrl ??= `${base}/acct/1`;
        accountJwk ??= header.jwk;
        record(created ? 201 : 200);
        send(res, created ? 201 : 200, { status: 'valid', contact: [] }, { Location: accountUrl });
        return;
      }
      case 'acct':
        record(200);
        send(res, 200, { status: payload?.status ?? 'valid', contact: [] });
        return;
      case 'new-order': {
        const identifiers = ((payload?.identifiers ?? []) as Array<{ value: string }>).map((i) => i.value);
        const order: Order = { id: orders.size + 1, identifiers, finalized: false };
        orders.set(order.id, order);
        identifiers.forEach((identifier, i) => authorizations.set(order.id * 100_000 + i, { identifier, status: options.authorizationStatus ?? (options.dnsPersist ? 'pending' : 'valid') }));
        record(201);
        send(res, 201, orderBody(order), { Location: `${base}/order/${order.id}` });
        return;
      }
      case 'authz': {
        const authz = authorizations.get(id)!;
        if (options.authorizationDelayMs) await new Promise((resolve) => setTimeout(resolve, options.authorizationDelayMs));
        record(200);
        send(res, 200, {
          status: authz.status,
          identifier: { type: 'dns', value: authz.identifier },
          challenges: options.dnsPersist
            ? [{ type: 'dns-persist-01', url: `${base}/chall/${id}`, status: authz.challengeStatus ?? 'pending', issuerDomainNames: options.dnsPersist.issuerDomainNames, ...(authz.error ? { error: authz.error } : {}) }]
            : [{ type: 'http-01', url: `${base}/chall/${id}`, token: `token-${id}`, status: authz.status }],
        });
        return;
      }
      case 'chall': {
        if (options.dnsPersist) {
          const authz = authorizations.get(id)!;
          // Section 4.2: look the record up afresh at each validation attempt; failures are problem documents (9.3.1).
          const verdict = await validatePersistRecord(options.dnsPersist, authz.identifier, accountUrl ?? '', accountJwk ?? {});
          authz.status = verdict.ok ? 'valid' : 'invalid';
          authz.challengeStatus = authz.status;
          if (!verdict.ok) authz.error = { type: `urn:ietf:params:acme:error:${verdict.type}`, detail: verdict.detail, status: verdict.type === 'malformed' ? 400 : 403 };
          record(200);
          send(res, 200, { type: 'dns-persist-01', status: authz.challengeStatus, issuerDomainNames: options.dnsPersist.issuerDomainNames, ...(authz.error ? { error: authz.error } : {}) });
          return;
        }
        authorizations.get(id)!.status = 'valid';
        record(200);
        send(res, 200, { type: 'http-01', status: 'valid', token: `token-${id}` });
        return;
      }
      case 'order':
        record(200);
        send(res, 200, orderBody(orders.get(id)!));
        return;
      case 'finalize': {
        const order = orders.get(id)!;
        const csr = Buffer.from(String(payload?.csr ?? ''), 'base64url');
        order.pem = sendWrongLeaf ? wrongLeaf.certPem : (await issueForCsr(csr, { days: 2 }, caCert)).certPem + caCert.certPem;
        order.finalized = true;
        record(200);
        send(res, 200, orderBody(order), { Location: `${base}/order/${id}` });
        return;
      }
      case 'cert':
        record(200);
        send(res, 200, orders.get(id)!.pem!);
        return;
      case 'revoke':
      case 'key-change':
        record(200);
        send(res, 200, {});
        return;
      default:
        record(404);
        problem(res, 404, 'malformed', `no resource ${url.pathname}`);
    }
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
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
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    directoryUrl: `${base}/dir`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    get wrongLeaf() {
      return sendWrongLeaf;
    },
    set wrongLeaf(value: boolean) {
      sendWrongLeaf = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
