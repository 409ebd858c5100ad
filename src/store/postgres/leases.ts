/**
 * Per-certificate leases in the `certificates` row itself (lease_owner, lease_expires_at,
 * lease_token), so claiming work and fencing writes are single-row statements on the row the work
 * is about.
 *
 * Expiry is always computed and compared by the database (now()), never from the caller's clock:
 * runners on several hosts share these rows, and with one clock a runner whose own clock runs fast
 * cannot take over a lease that has not expired, nor one running slow keep a lease past its time.
 * `ttlMs` is the only thing a caller says about time.
 */
import { LeaseLostError, type Fence, type Lease, type Leases } from '../ports.js';
import type { Db, Queryable } from './db.js';

interface LeaseRow {
  name: string;
  lease_token: string;
  expires_at: Date;
}

const RETURNING = 'RETURNING name, lease_token, lease_expires_at AS expires_at';
const EXPIRY = "now() + $3::bigint * interval '1 millisecond'";

export class PostgresLeases implements Leases {
  constructor(private readonly db: Db) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    checkTtl(ttlMs);
    // The row must exist for the UPDATE to claim it: a certificate first seen by its lease.
    await this.db.query('INSERT INTO certificates (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    // One statement: two runners updating the row at once serialise on its row lock, and the
    // second re-checks the WHERE against the first one's lease, so only one gets it.
    const { rows } = await this.db.query<LeaseRow>(
      `UPDATE certificates SET lease_owner = $2, lease_expires_at = ${EXPIRY}, lease_token = lease_token + 1
        WHERE name = $1 AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = $2) ${RETURNING}`,
      [name, owner, Math.ceil(ttlMs)],
    );
    return rows[0] === undefined ? undefined : lease(rows[0], owner);
  }

  async renew(held: Lease, ttlMs: number): Promise<Lease> {
    checkTtl(ttlMs);
    const { rows } = await this.db.query<LeaseRow>(
      `UPDATE certificates SET lease_expires_at = ${EXPIRY}
        WHERE name = $1 AND lease_token = $4 AND lease_owner = $2 ${RETURNING}`,
      [held.name, held.owner, Math.ceil(ttlMs), held.token],
    );
    if (rows[0] === undefined) throw await leaseLost(this.db, held);
    return lease(rows[0], held.owner);
  }

  async release(held: Lease): Promise<void> {
    // Only our own claim: after a takeover the new owner's lease stays.
    await this.db.query('UPDATE certificates SET lease_owner = NULL, lease_expires_at = NULL WHERE name = $1 AND lease_token = $2 AND lease_owner = $3', [
      held.name,
      held.token,
      held.owner,
    ]);
  }
}

/**
 * Lock the certificate's row if `fence` still holds it (in the caller's transaction), else throw
 * LeaseLostError: the write that follows cannot race a takeover, which needs the same row lock.
 */
export async function checkFence(client: Queryable, name: string, fence: Fence): Promise<void> {
  sameName(name, fence);
  const { rowCount } = await client.query('SELECT 1 FROM certificates WHERE name = $1 AND lease_token = $2 FOR UPDATE', [name, fence.token]);
  if (rowCount === 0) throw await leaseLost(client, fence);
}

/** A fence is one certificate's: using it for another is a bug in the caller, not a lost lease. */
export function sameName(name: string, fence: Fence): void {
  if (fence.name !== name) throw new Error(`a lease on ${fence.name} was used to write ${name}`);
}

/** The LeaseLostError for `fence`, saying who holds the certificate now. */
export async function leaseLost(db: Queryable, fence: Fence): Promise<LeaseLostError> {
  const { rows } = await db.query<{ lease_owner: string | null; lease_token: string }>('SELECT lease_owner, lease_token FROM certificates WHERE name = $1', [fence.name]);
  const row = rows[0];
  const detail =
    row === undefined
      ? 'its row is gone'
      : row.lease_owner === null
        ? `its lease is now token ${row.lease_token}, released`
        : `now held by ${row.lease_owner} with token ${row.lease_token}, this runner had ${fence.token}`;
  return new LeaseLostError(fence.name, detail);
}

function lease(row: LeaseRow, owner: string): Lease {
  return { name: row.name, owner, token: Number(row.lease_token), expiresAt: row.expires_at.getTime() };
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`a lease's ttl must be a positive number of ms, not ${ttlMs}`);
}
