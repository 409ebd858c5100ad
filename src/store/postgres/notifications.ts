/**
 * LISTEN on a connection of its own (ports.ts `ChangeFeed`): a pooled connection goes back to the
 * pool between queries and would stop hearing the channel, so the listener holds one client for as
 * long as it listens. When that connection drops (the server restarted, a failover) it reconnects
 * by itself, 1 s doubling to 30 s, and says so once per outage, not once per attempt: an agent left
 * alone through a night's maintenance window must not fill its journal.
 */
import pg from 'pg';
import type { Logger } from '../../logger.js';
import type { ChangeListener } from '../ports.js';
import { postgresError } from './connection.js';

export interface ListenOptions {
  /** How to reach the server: the pool's own settings (state-store.ts), so the same server and user. */
  client: pg.ClientConfig;
  /** The server, password masked, for messages. */
  server: string;
  logger: Logger;
  /** First and longest wait between reconnection attempts (tests shorten them). */
  backoffMs?: { first: number; max: number };
}

export const RECONNECT_BACKOFF_MS = { first: 1_000, max: 30_000 } as const;

export interface Subscription {
  close(): Promise<void>;
}

/** Listen on `channel` until closed; resolves once the first connection was tried (its outcome goes to `listener.connection`). */
export async function listenOn(channel: string, listener: ChangeListener, options: ListenOptions): Promise<Subscription> {
  const { first, max } = options.backoffMs ?? RECONNECT_BACKOFF_MS;
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = first;
  let outageSince: number | undefined;

  const lost = (err: unknown) => {
    if (outageSince === undefined) {
      outageSince = Date.now();
      const reason = postgresError(err, options.server);
      options.logger.warn(`lost the LISTEN connection to ${options.server}; reconnecting (every ${first / 1000} s doubling to ${max / 1000} s) and reading the state again once back`, {
        error: reason instanceof Error ? reason.message : String(reason),
      });
      listener.connection(false);
    }
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, max);
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client(options.client);
    // As the pool's listener in connection.ts: a client without an 'error' listener crashes the
    // process when its connection breaks. Both events arrive for one loss; only the current client counts.
    const drop = (err: unknown) => {
      if (c !== client || closed) return;
      client = undefined;
      c.end().catch(() => undefined);
      lost(err);
    };
    c.on('error', drop);
    c.on('end', () => drop(new Error('Connection terminated')));
    c.on('notification', (n) => {
      if (n.channel === channel) listener.message(n.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      c.end().catch(() => undefined);
      if (!closed) lost(err);
      return;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = first;
    if (outageSince !== undefined) {
      options.logger.info(`the LISTEN connection to ${options.server} is back after ${Math.round((Date.now() - outageSince) / 1000)} s`);
      outageSince = undefined;
    }
    listener.connection(true);
  };

  await connect();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
