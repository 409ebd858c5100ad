/**
 * The one way the store's tables are queried: every statement and transaction goes through here so
 * a connection failure (server down, restarted, timed out) becomes the CertfleetError that names
 * the server (connection.ts), and a transaction is always ended and its connection given back.
 */
import type pg from 'pg';
import { withPostgresErrors } from './connection.js';

/** A pool-wide Db or one transaction's client: what a helper that may run in either needs. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export class Db implements Queryable {
  constructor(
    readonly pool: pg.Pool,
    /** The server, password masked (connection.ts `redactUrl`). */
    readonly server: string,
  ) {}

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return withPostgresErrors(this.server, () => this.pool.query<R>(text, values));
  }

  /** `work` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    return withPostgresErrors(this.server, async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true; // the connection itself failed: do not return it to the pool
        });
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }
}

/** Epoch ms as the timestamptz parameter text PostgreSQL reads exactly. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** A timestamptz column as epoch ms (the driver returns a Date). */
export function epochMs(value: Date | string | null): number | undefined {
  if (value === null) return undefined;
  return (value instanceof Date ? value : new Date(value)).getTime();
}
