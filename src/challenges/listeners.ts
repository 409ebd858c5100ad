/**
 * Listeners shared by address and port within this process. A port can be bound once, yet a run
 * renews several certificates at once, each with its own solver: solvers of the same kind on the
 * same port lease one listener (started by the first, closed when the last lets go) and register
 * their answers in its shared state. Another process on the port is reported, never worked around.
 */
import type { Server, Socket } from 'node:net';
import { ChallengeError } from './errors.js';

interface Entry {
  server: Server;
  state: unknown;
  refs: number;
  sockets: Set<Socket>;
  ready: Promise<void>;
}

const entries = new Map<string, Entry>();
/** Listeners being closed: a new lease on the same key waits for the port to be free again. */
const closing = new Map<string, Promise<void>>();

export interface ListenerLease<S> {
  state: S;
  release(): Promise<void>;
}

function label(address: string | undefined, port: number): string {
  if (address === undefined) return `port ${port} (all addresses)`;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function listenError(kind: string, address: string | undefined, port: number, err: NodeJS.ErrnoException): ChallengeError {
  const where = label(address, port);
  switch (err.code) {
    case 'EADDRINUSE':
      return new ChallengeError(`port ${port} is in use: cannot start the ${kind} listener on ${where} (EADDRINUSE)`, {
        hint: `stop what listens on port ${port} during validation, or use another challenge (http-01 webroot, dns-01)`,
        cause: err,
      });
    case 'EACCES':
      return new ChallengeError(`port ${port} needs privileges: cannot start the ${kind} listener on ${where} (EACCES)`, {
        hint: 'run as root, grant CAP_NET_BIND_SERVICE, or forward the port to a higher one',
        cause: err,
      });
    case 'EADDRNOTAVAIL':
      return new ChallengeError(`address ${address} is not on this host: cannot start the ${kind} listener (EADDRNOTAVAIL)`, { cause: err });
    default:
      return new ChallengeError(`cannot start the ${kind} listener on ${where}: ${err.message}`, { cause: err });
  }
}

/**
 * Lease the `kind` listener on address:port, creating it with `create` if none runs. `address`
 * undefined listens on every address (IPv6 and IPv4 where the host has both).
 */
export async function leaseListener<S>(kind: string, port: number, address: string | undefined, create: () => { server: Server; state: S }): Promise<ListenerLease<S>> {
  const key = `${kind}|${address ?? '*'}|${port}`;
  await closing.get(key);
  let entry = entries.get(key);
  if (!entry) {
    const { server, state } = create();
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(listenError(kind, address, port, err));
      server.once('error', onError);
      server.listen({ port, host: address, exclusive: true }, () => {
        server.off('error', onError);
        // A listening server's later errors concern one connection at most; never crash the run.
        server.on('error', () => {});
        resolve();
      });
    });
    entry = { server, state, refs: 0, sockets, ready };
    entries.set(key, entry);
  }
  entry.refs++;
  const leased = entry;
  try {
    await leased.ready;
  } catch (err) {
    leased.refs--;
    if (entries.get(key) === leased) entries.delete(key);
    throw err;
  }
  let released = false;
  return {
    state: leased.state as S,
    async release() {
      if (released) return;
      released = true;
      leased.refs--;
      if (leased.refs > 0) return;
      entries.delete(key);
      const closed = new Promise<void>((resolve) => leased.server.close(() => resolve()));
      for (const socket of leased.sockets) socket.destroy();
      closing.set(key, closed);
      await closed;
      if (closing.get(key) === closed) closing.delete(key);
    },
  };
}

/** A solver's hold on one shared listener: leased on first use, let go by release(); usable again after. */
export class ListenerHold<S> {
  private lease: Promise<ListenerLease<S>> | undefined;

  constructor(private readonly open: () => Promise<ListenerLease<S>>) {}

  /** The listener's state, starting the listener if this solver holds none. */
  async state(): Promise<S> {
    if (!this.lease) {
      const pending = this.open();
      this.lease = pending;
      // A failed start is not kept: the next present() tries again (the port may be free by then).
      pending.catch(() => {
        if (this.lease === pending) this.lease = undefined;
      });
    }
    return (await this.lease).state;
  }

  /** The state if the listener is up, without starting it. */
  async current(): Promise<S | undefined> {
    return this.lease?.then((l) => l.state).catch(() => undefined);
  }

  async release(): Promise<void> {
    const pending = this.lease;
    this.lease = undefined;
    const lease = await pending?.catch(() => undefined);
    await lease?.release();
  }
}
