/**
 * Real servers on 127.0.0.1 (random ports) for endpoint-scanner tests: TLS with SNI and version
 * limits, STARTTLS dialogues (SMTP, IMAP, POP3, FTP, PostgreSQL, LDAP, XMPP) upgraded with
 * `new tls.TLSSocket(socket, {isServer: true})`, and the broken ones a scanner must survive (silent,
 * plain text, refusing, never accepting). Every server tracks its sockets; close() ends them all.
 */
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { Worker } from 'node:worker_threads';
import type { StartTlsProtocol } from '../../src/inventory/model.js';

export interface ServerIdentity {
  /** PKCS#8 PEM. */
  key: string;
  /** PEM certificates in the order the server sends them, leaf first. */
  cert: string;
}

export interface RunningServer {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections not yet closed (a server socket closes when the client's side is gone). */
  readonly open: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Listen on a random loopback port; close() destroys live sockets so it never waits on a peer. */
async function listen(onConnection: (socket: Socket) => void, host: string = HOST): Promise<RunningServer & { server: Server }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that hangs up mid-dialogue is normal here; it must not crash the test process.
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  server.listen(0, host);
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Live counters on a server object (Object.assign would copy today's value once). */
function withGetters<T extends object, G extends Record<string, () => unknown>>(
  target: T,
  getters: G,
): T & { readonly [K in keyof G]: ReturnType<G[K]> } {
  for (const [name, get] of Object.entries(getters)) Object.defineProperty(target, name, { get, enumerable: true });
  return target as T & { readonly [K in keyof G]: ReturnType<G[K]> };
}

export interface TlsServerOptions {
  identity: ServerIdentity;
  /** Certificates selected by SNI; names not listed get `identity`. */
  sniIdentities?: Record<string, ServerIdentity>;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** Hold each new connection this long before starting TLS (to observe client concurrency). */
  holdMs?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: '127.0.0.1' | '::1';
}

export interface TlsServer extends RunningServer {
  /** The SNI each completed handshake carried (false or null: none). */
  readonly servernames: Array<string | false | null>;
  /** Most connections held (accepted, TLS not started yet) at one time. */
  readonly maxHeld: number;
}

function contextFor(identity: ServerIdentity, options: Pick<TlsServerOptions, 'minVersion' | 'maxVersion'> = {}): SecureContext {
  const legacy = options.minVersion === 'TLSv1' || options.minVersion === 'TLSv1.1';
  return createSecureContext({
    key: identity.key,
    cert: identity.cert,
    ...(options.minVersion ? { minVersion: options.minVersion } : {}),
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
    // OpenSSL 3 allows TLS 1.0/1.1 only at security level 0.
    ...(legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  });
}

/** Turn a connected plain socket into the server side of a TLS session. */
function upgrade(socket: Socket, context: SecureContext, sni?: Map<string, SecureContext>, onSecure?: (s: TLSSocket) => void): void {
  const secure = new TLSSocket(socket, {
    isServer: true,
    secureContext: context,
    ...(sni ? { SNICallback: (name: string, cb: (err: Error | null, ctx?: SecureContext) => void) => cb(null, sni.get(name) ?? context) } : {}),
  });
  secure.on('error', () => secure.destroy());
  secure.on('secure', () => onSecure?.(secure));
}

export async function startTlsServer(options: TlsServerOptions): Promise<TlsServer> {
  const context = contextFor(options.identity, options);
  const sni = options.sniIdentities
    ? new Map(Object.entries(options.sniIdentities).map(([name, id]) => [name, contextFor(id, options)]))
    : undefined;
  const servernames: Array<string | false | null> = [];
  let held = 0;
  let maxHeld = 0;
  const start = (socket: Socket): void => upgrade(socket, context, sni, (s) => servernames.push(s.servername));
  const base = await listen((socket) => {
    if (!options.holdMs) return start(socket);
    held++;
    maxHeld = Math.max(maxHeld, held);
    setTimeout(() => {
      // Counted down before the handshake starts, so the client cannot finish (and start its
      // next connection) before this connection stopped counting.
      held--;
      if (!socket.destroyed) start(socket);
    }, options.holdMs);
  }, options.host);
  return withGetters(base, { servernames: () => servernames, maxHeld: () => maxHeld });
}

// ---------------------------------------------------------------------------------------------
// STARTTLS servers

export type StartTlsMode = 'ok' | 'refuse' | 'not-offered';

export interface StartTlsServerOptions {
  protocol: StartTlsProtocol;
  identity: ServerIdentity;
  mode?: StartTlsMode;
  /** Write every reply in 3-byte pieces a few ms apart, so the client sees it split over packets. */
  chunked?: boolean;
}

/** Reads what the client sends, in whatever pieces it arrives. */
class ClientInput {
  private buffered: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  async take(bytes: (buf: Buffer) => number | undefined): Promise<Buffer | undefined> {
    for (;;) {
      const n = bytes(this.buffered);
      if (n !== undefined) {
        const out = this.buffered.subarray(0, n);
        this.buffered = this.buffered.subarray(n);
        return out;
      }
      if (this.socket.destroyed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async line(): Promise<string | undefined> {
    const raw = await this.take((buf) => {
      const nl = buf.indexOf(10);
      return nl < 0 ? undefined : nl + 1;
    });
    return raw?.toString('latin1').replace(/\r?\n$/, '');
  }

  /** Hand the socket to TLS: no more reads of ours. */
  release(): void {
    this.socket.removeAllListeners('data');
    this.socket.pause();
  }
}

async function write(socket: Socket, data: string | Uint8Array, chunked: boolean): Promise<void> {
  if (socket.destroyed) return;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  if (!chunked) {
    socket.write(bytes);
    return;
  }
  socket.setNoDelay(true);
  for (let i = 0; i < bytes.length && !socket.destroyed; i += 3) {
    // No pause after the last piece: the caller may hand the socket to TLS right away, before
    // the client's next bytes (a ClientHello) can arrive with nobody reading.
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    socket.write(bytes.subarray(i, i + 3));
  }
}

type Dialogue = (input: ClientInput, say: (data: string | Uint8Array) => Promise<void>, mode: StartTlsMode) => Promise<boolean>;

const dialogues: Record<StartTlsProtocol, Dialogue> = {
  async smtp(input, say, mode) {
    await say('220-mail.test ESMTP certfleet test server\r\n220 mail.test ready\r\n');
    for (;;) {
      const line = await input.line();
      if (line === undefined) return false;
      if (/^EHLO /i.test(line)) {
        await say(`250-mail.test greets ${line.slice(5)}\r\n250-PIPELINING\r\n${mode === 'not-offered' ? '' : '250-STARTTLS\r\n'}250 SIZE 10240000\r\n`);
      } else if (/^STARTTLS$/i.test(line)) {
        if (mode === 'ok') {
          await say('220 2.0.0 Ready to start TLS\r\n');
          return true;
        }
        await say(mode === 'refuse' ? '454 4.7.0 TLS not available\r\n' : '502 5.5.1 Unrecognized command\r\n');
      } else {
        await say('500 5.5.2 Syntax error\r\n');
      }
    }
  },
  async imap(input, say, mode) {
    await say('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.test ready\r\n');
    const line = await input.line();
    const tag = line?.split(' ')[0] ?? '*';
    if (!line || !/ STARTTLS$/i.test(line)) return false;
    if (mode !== 'ok') {
      await say(`${tag} BAD STARTTLS not available\r\n`);
      return false;
    }
    await say(`* CAPABILITY IMAP4rev1\r\n${tag} OK Begin TLS negotiation now\r\n`);
    return true;
  },
  async pop3(input, say, mode) {
    await say('+OK POP3 pop.test ready\r\n');
    const line = await input.line();
    if (line !== 'STLS') return false;
    if (mode !== 'ok') {
      await say('-ERR STLS not available\r\n');
      return false;
    }
    await say('+OK Begin TLS negotiation\r\n');
    return true;
  },
  async ftp(input, say, mode) {
    await say('220-ftp.test FTP server\r\n Welcome, this middle line has no code\r\n220 ready\r\n');
    const line = await input.line();
    if (line !== 'AUTH TLS') return false;
    if (mode !== 'ok') {
      await say('534 Request denied for policy reasons\r\n');
      return false;
    }
    await say('234 AUTH TLS successful\r\n');
    return true;
  },
  async postgres(input, say, mode) {
    const request = await input.take((buf) => (buf.length >= 8 ? 8 : undefined));
    if (!request || request.readInt32BE(0) !== 8 || request.readInt32BE(4) !== 80877103) return false;
    await say(mode === 'ok' ? 'S' : 'N');
    return mode === 'ok';
  },
  async ldap(input, say, mode) {
    const request = await input.take((buf) => (buf.length >= 2 && buf.length >= 2 + buf[1]! ? 2 + buf[1]! : undefined));
    if (!request || !request.includes('1.3.6.1.4.1.1466.20037')) return false;
    const oid = Buffer.from('1.3.6.1.4.1.1466.20037', 'latin1');
    const diagnostic = Buffer.from(mode === 'ok' ? '' : 'StartTLS not supported', 'latin1');
    const body = Buffer.concat([
      Buffer.of(0x0a, 0x01, mode === 'ok' ? 0 : 2, 0x04, 0x00, 0x04, diagnostic.length),
      diagnostic,
      Buffer.of(0x8a, oid.length),
      oid,
    ]);
    const response = Buffer.concat([Buffer.of(0x02, 0x01, 0x01, 0x78, body.length), body]);
    await say(Buffer.concat([Buffer.of(0x30, response.length), response]));
    return mode === 'ok';
  },
  async xmpp(input, say, mode) {
    const header = await input.take((buf) => {
      const text = buf.toString('latin1');
      const start = text.indexOf('<stream:stream');
      const end = start < 0 ? -1 : text.indexOf('>', start);
      return end < 0 ? undefined : end + 1;
    });
    if (!header) return false;
    await say(
      "<?xml version='1.0'?><stream:stream from='chat.test' id='c2s1' version='1.0' xmlns='jabber:client' " +
        "xmlns:stream='http://etherx.jabber.org/streams'><stream:features>" +
        (mode === 'not-offered' ? '' : "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>") +
        "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    );
    const request = await input.take((buf) => {
      const end = buf.indexOf('/>');
      return end < 0 ? undefined : end + 2;
    });
    if (!request?.includes('<starttls')) return false;
    if (mode !== 'ok') {
      await say("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
      return false;
    }
    await say("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    return true;
  },
};

export interface StartTlsServer extends RunningServer {
  /** Connections that got through the dialogue and completed a TLS handshake. */
  readonly secured: number;
}

export async function startStartTlsServer(options: StartTlsServerOptions): Promise<StartTlsServer> {
  const context = contextFor(options.identity);
  const mode = options.mode ?? 'ok';
  let secured = 0;
  const base = await listen((socket) => {
    const input = new ClientInput(socket);
    const say = (data: string | Uint8Array): Promise<void> => write(socket, data, options.chunked ?? false);
    dialogues[options.protocol](input, say, mode).then(
      (goAhead) => {
        if (!goAhead || socket.destroyed) return;
        input.release();
        upgrade(socket, context, undefined, () => secured++);
      },
      () => socket.destroy(),
    );
  });
  return withGetters(base, { secured: () => secured });
}

// ---------------------------------------------------------------------------------------------
// Servers that misbehave

/** Accepts TCP and never says a word. */
export function startSilentServer(): Promise<RunningServer> {
  // Reading (and ignoring) is what lets it notice the client hanging up.
  return listen((socket) => socket.resume());
}

/**
 * Speaks plain text: `banner` on connect (SMTP-like); when `reply` is given (even ''), answers
 * the first data with it and hangs up (HTTP-like, or a server dropping the client).
 */
export function startPlainTextServer(options: { banner?: string; reply?: string }): Promise<RunningServer> {
  return listen((socket) => {
    const { banner, reply } = options;
    if (banner) socket.write(banner);
    if (reply !== undefined) socket.once('data', () => socket.end(reply));
    else socket.resume();
  });
}

/** A port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const base = await listen(() => undefined);
  await base.close();
  return base.port;
}

/**
 * A listener whose accept queue is full, so new SYNs are dropped and connecting hangs: the
 * only way to make a connect time out on loopback. The listening thread is a worker blocked in
 * Atomics.wait (it never accepts); the queue (backlog 1) is filled with connections of ours.
 * Linux drops SYNs to a listener with a full accept queue; elsewhere this may not hang.
 */
export async function startUnresponsiveListener(): Promise<{ port: number; close(): Promise<void> }> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0, 60000);
       server.close();
     });`,
    { eval: true, workerData: gate },
  );
  const [port] = (await once(worker, 'message')) as [number];
  const fillers: Socket[] = [];
  for (let i = 0; i < 8; i++) {
    const filler = connect(port, HOST);
    filler.on('error', () => undefined);
    fillers.push(filler);
    const connected = await Promise.race([
      once(filler, 'connect').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
    ]);
    if (!connected) break;
    if (i === 7) throw new Error('startUnresponsiveListener: the accept queue never filled (not Linux?)');
  }
  return {
    port,
    async close() {
      for (const f of fillers) f.destroy();
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await worker.terminate();
    },
  };
}
