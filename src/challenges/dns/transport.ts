/**
 * One DNS exchange with one server: UDP first (connected, so a closed port fails at once instead
 * of timing out), retransmitted until the time limit, then TCP when the answer comes back
 * truncated. Every socket and timer is released however the exchange ends, including on abort.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { ChallengeError, abortReason, formatMs } from '../errors.js';
import { isTruncated, messageId } from './wire.js';

export interface DnsServer {
  host: string;
  port: number;
}

export function formatServer(server: DnsServer): string {
  return isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

export interface ExchangeOptions {
  timeoutMs: number;
  signal: AbortSignal;
}

export async function exchange(server: DnsServer, message: Buffer, options: ExchangeOptions): Promise<Buffer> {
  const address = await resolveHost(server.host, options.signal);
  const response = await exchangeUdp(server, address, message, options);
  return isTruncated(response) ? exchangeTcp(server, address, message, options) : response;
}

async function resolveHost(host: string, signal: AbortSignal): Promise<string> {
  if (isIP(host) !== 0) return host;
  signal.throwIfAborted();
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new ChallengeError(`cannot resolve DNS server name ${host}: ${(err as Error).message}`, { cause: err });
  }
}

function networkError(server: DnsServer, err: NodeJS.ErrnoException, transport: string): ChallengeError {
  if (err.code === 'ECONNREFUSED') {
    return new ChallengeError(`${formatServer(server)} refused the ${transport} connection: is a DNS server listening there?`, { cause: err });
  }
  return new ChallengeError(`DNS ${transport} exchange with ${formatServer(server)} failed: ${err.message}`, { cause: err });
}

function timeoutError(server: DnsServer, timeoutMs: number, transport: string): ChallengeError {
  return new ChallengeError(`no answer from DNS server ${formatServer(server)} within ${formatMs(timeoutMs)} (${transport})`, {
    hint: 'check the server address and port, and that a firewall lets DNS through',
  });
}

/** Run `body` with a settle-once promise, a time limit and the abort signal, then always `release`. */
function bounded<T>(
  options: ExchangeOptions,
  onTimeout: () => Error,
  body: (resolve: (value: T) => void, reject: (err: Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (options.signal.aborted) return reject(abortReason(options.signal));
    let release: (() => void) | undefined;
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      release?.();
    };
    const settle = {
      resolve: (value: T) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      reject: (err: Error) => {
        if (settled) return;
        finish();
        reject(err);
      },
    };
    const onAbort = () => settle.reject(abortReason(options.signal));
    const timer = setTimeout(() => settle.reject(onTimeout()), options.timeoutMs);
    options.signal.addEventListener('abort', onAbort, { once: true });
    const releaseBody = body(settle.resolve, settle.reject);
    // The body may have settled synchronously, before it could hand back its release.
    if (settled) releaseBody();
    else release = releaseBody;
  });
}

function exchangeUdp(server: DnsServer, address: string, message: Buffer, options: ExchangeOptions): Promise<Buffer> {
  const id = messageId(message);
  // Retransmit a few times inside the limit: one lost datagram should not cost the whole timeout.
  const retransmitMs = Math.max(200, Math.min(1000, Math.floor(options.timeoutMs / 3)));
  return bounded<Buffer>(options, () => timeoutError(server, options.timeoutMs, 'UDP'), (resolve, reject) => {
    const socket: UdpSocket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    let retransmit: NodeJS.Timeout | undefined;
    const send = () => socket.send(message, (err) => err && reject(networkError(server, err, 'UDP')));
    socket.on('error', (err) => reject(networkError(server, err, 'UDP')));
    socket.on('message', (reply) => {
      // Ignore stray or spoofed datagrams; a connected socket only hears from the server.
      if (reply.length >= 12 && messageId(reply) === id && (reply.readUInt16BE(2) & 0x8000) !== 0) resolve(reply);
    });
    socket.connect(server.port, address, () => {
      send();
      retransmit = setInterval(send, retransmitMs);
    });
    return () => {
      clearInterval(retransmit);
      socket.close();
    };
  });
}

function exchangeTcp(server: DnsServer, address: string, message: Buffer, options: ExchangeOptions): Promise<Buffer> {
  const id = messageId(message);
  return bounded<Buffer>(options, () => timeoutError(server, options.timeoutMs, 'TCP'), (resolve, reject) => {
    const socket = connect({ host: address, port: server.port });
    let received = Buffer.alloc(0);
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      const reply = received.subarray(2, 2 + length);
      if (reply.length >= 12 && messageId(reply) === id) resolve(Buffer.from(reply));
      else reject(new ChallengeError(`${formatServer(server)} sent a DNS answer over TCP that does not match our request`));
    });
    socket.on('error', (err) => reject(networkError(server, err, 'TCP')));
    socket.on('end', () => reject(new ChallengeError(`${formatServer(server)} closed the TCP connection before answering`)));
    return () => socket.destroy();
  });
}
