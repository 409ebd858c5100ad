/**
 * ACME accounts (ports.ts `AccountRecords`) in the `accounts` table, keys encrypted (encryption.ts,
 * the directory URL as additional authenticated data). The file store's rules hold: the key is the
 * account and is never overwritten (a different key for a stored account is refused, whoever
 * writes first wins the INSERT), a rollover stages the new key beside the current one before the
 * CA sees it, and a key replaced or never used is kept (in `account_keys_retired`), not deleted.
 */
import { AccountStoreError, isStoredAccount } from '../account-store.js';
import type { AccountListing, AccountRecords, LoadedAccount, RetiredAccountKey, StoredAccount } from '../ports.js';
import type { Db, Queryable } from './db.js';
import { decryptPrivateKey, encryptPrivateKey, type KeyOwner, type Keyring } from './encryption.js';

interface AccountRow {
  account: unknown;
  key_ciphertext: Buffer;
  key_nonce: Buffer;
  key_id: string;
  pending_key_ciphertext: Buffer | null;
  pending_key_nonce: Buffer | null;
  pending_key_id: string | null;
}

type Warn = (message: string) => void;

export class PostgresAccounts implements AccountRecords, AccountListing {
  constructor(
    private readonly db: Db,
    /** Absent: an agent without the data key (every read of a key under it is then a clear error). */
    private readonly ring: Keyring | undefined,
  ) {}

  describe(directoryUrl: string): string {
    return `postgres:accounts/${directoryUrl}`;
  }

  async exists(directoryUrl: string): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM accounts WHERE directory_url = $1', [directoryUrl]);
    return rowCount !== 0;
  }

  async load(directoryUrl: string, warn: Warn = () => undefined): Promise<LoadedAccount | undefined> {
    const { rows } = await this.db.query<AccountRow>(
      'SELECT account, key_ciphertext, key_nonce, key_id, pending_key_ciphertext, pending_key_nonce, pending_key_id FROM accounts WHERE directory_url = $1',
      [directoryUrl],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    // A key that does not decrypt (wrong encryption key, a tampered row) throws its own clear error.
    const keyPem = this.decrypt(row.key_ciphertext, row.key_nonce, row.key_id, directoryUrl);
    const pendingKeyPem =
      row.pending_key_ciphertext === null || row.pending_key_nonce === null || row.pending_key_id === null
        ? undefined
        : this.decrypt(row.pending_key_ciphertext, row.pending_key_nonce, row.pending_key_id, directoryUrl);
    let account: StoredAccount | undefined;
    if (row.account !== null) {
      if (isStoredAccount(row.account, directoryUrl)) account = row.account;
      else warn(`the account record for ${directoryUrl} in the database is not one certfleet wrote; looking the account up at the CA by its key`);
    } else {
      warn(`no account record for ${directoryUrl} in the database; looking the account up at the CA by its key`);
    }
    return { keyPem, account, pendingKeyPem };
  }

  async save(keyPem: string, account: StoredAccount): Promise<void> {
    await this.createKey(account.directoryUrl, keyPem);
    await this.saveAccount(account);
  }

  async createKey(directoryUrl: string, keyPem: string): Promise<void> {
    const key = encryptPrivateKey(this.ring, keyPem, owner(directoryUrl));
    // ON CONFLICT DO NOTHING: of two runners creating the account at once, the first key stays.
    const { rowCount } = await this.db.query(
      'INSERT INTO accounts (directory_url, key_ciphertext, key_nonce, key_id) VALUES ($1, $2, $3, $4) ON CONFLICT (directory_url) DO NOTHING',
      [directoryUrl, key.ciphertext, key.nonce, key.keyId],
    );
    if (rowCount !== 0) return;
    const { rows } = await this.db.query<AccountRow>('SELECT key_ciphertext, key_nonce, key_id FROM accounts WHERE directory_url = $1', [directoryUrl]);
    const row = rows[0];
    if (row === undefined) throw new Error(`the account row for ${directoryUrl} vanished while its key was created`);
    if (this.decrypt(row.key_ciphertext, row.key_nonce, row.key_id, directoryUrl).trim() === keyPem.trim()) return;
    throw new AccountStoreError(`refusing to overwrite the account key ${this.describe(directoryUrl)} with a different key`, this.describe(directoryUrl),
      'the existing key is the account; `certfleet account rollover` replaces it safely');
  }

  async saveAccount(account: StoredAccount): Promise<void> {
    const { rowCount } = await this.db.query('UPDATE accounts SET account = $2, updated_at = now() WHERE directory_url = $1', [account.directoryUrl, JSON.stringify(account)]);
    if (rowCount === 0) {
      // The file store could write account.json alone; a row here needs its key (NOT NULL): the
      // caller stores the key first (createKey), as register does.
      throw new AccountStoreError(`no account key is stored for ${account.directoryUrl}; its record cannot be saved without it`, this.describe(account.directoryUrl));
    }
  }

  async stagePendingKey(directoryUrl: string, keyPem: string): Promise<void> {
    const key = encryptPrivateKey(this.ring, keyPem, owner(directoryUrl));
    const { rowCount } = await this.db.query(
      `UPDATE accounts SET pending_key_ciphertext = $2, pending_key_nonce = $3, pending_key_id = $4, updated_at = now()
        WHERE directory_url = $1 AND pending_key_ciphertext IS NULL`,
      [directoryUrl, key.ciphertext, key.nonce, key.keyId],
    );
    if (rowCount !== 0) return;
    const where = this.describe(directoryUrl);
    if (!(await this.exists(directoryUrl))) throw new AccountStoreError(`no account key is stored for ${directoryUrl}; there is nothing to roll over`, where);
    throw new AccountStoreError(`an earlier key rollover did not finish: ${where} has a staged key`, where,
      'run `certfleet account show` (or renew): it finds out which key the CA knows and settles it');
  }

  async promotePendingKey(directoryUrl: string): Promise<string> {
    return this.db.transaction(async (client) => {
      await this.lockWithPending(client, directoryUrl);
      // The current key is kept first, then replaced by the staged one: both in one transaction,
      // so there is no moment without a key. Both share the account's label: moved without decrypting.
      const retired = await this.retire(client, directoryUrl, 'old', 'key');
      await client.query(
        `UPDATE accounts SET key_ciphertext = pending_key_ciphertext, key_nonce = pending_key_nonce, key_id = pending_key_id,
           pending_key_ciphertext = NULL, pending_key_nonce = NULL, pending_key_id = NULL, updated_at = now()
         WHERE directory_url = $1`,
        [directoryUrl],
      );
      return retired;
    });
  }

  async discardPendingKey(directoryUrl: string): Promise<string> {
    return this.db.transaction(async (client) => {
      await this.lockWithPending(client, directoryUrl);
      const retired = await this.retire(client, directoryUrl, 'unused', 'pending_key');
      await client.query('UPDATE accounts SET pending_key_ciphertext = NULL, pending_key_nonce = NULL, pending_key_id = NULL, updated_at = now() WHERE directory_url = $1', [directoryUrl]);
      return retired;
    });
  }

  private async lockWithPending(client: Queryable, directoryUrl: string): Promise<void> {
    const { rowCount } = await client.query('SELECT 1 FROM accounts WHERE directory_url = $1 AND pending_key_ciphertext IS NOT NULL FOR UPDATE', [directoryUrl]);
    if (rowCount === 0) throw new AccountStoreError(`no staged account key for ${directoryUrl}`, this.describe(directoryUrl));
  }

  /** Copy the row's current or pending key into account_keys_retired; returns where it went. */
  private async retire(client: Queryable, directoryUrl: string, reason: 'old' | 'unused', columns: 'key' | 'pending_key'): Promise<string> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO account_keys_retired (directory_url, reason, key_ciphertext, key_nonce, key_id)
       SELECT directory_url, $2, ${columns}_ciphertext, ${columns}_nonce, ${columns}_id FROM accounts WHERE directory_url = $1
       RETURNING id`,
      [directoryUrl, reason],
    );
    return `postgres:account_keys_retired/${rows[0]?.id ?? '?'}`;
  }

  private decrypt(ciphertext: Buffer, nonce: Buffer, keyId: string, directoryUrl: string): string {
    return decryptPrivateKey(this.ring, { ciphertext, nonce, keyId }, owner(directoryUrl));
  }

  async directoryUrls(): Promise<string[]> {
    const { rows } = await this.db.query<{ directory_url: string }>('SELECT directory_url FROM accounts ORDER BY directory_url COLLATE "C"');
    return rows.map((r) => r.directory_url);
  }

  async retiredKeys(directoryUrl: string): Promise<RetiredAccountKey[]> {
    const { rows } = await this.db.query<{ reason: 'old' | 'unused'; key_ciphertext: Buffer; key_nonce: Buffer; key_id: string; retired_at: Date }>(
      'SELECT reason, key_ciphertext, key_nonce, key_id, retired_at FROM account_keys_retired WHERE directory_url = $1 ORDER BY retired_at, id',
      [directoryUrl],
    );
    return rows.map((r) => ({ reason: r.reason, keyPem: this.decrypt(r.key_ciphertext, r.key_nonce, r.key_id, directoryUrl), retiredAt: r.retired_at.toISOString() }));
  }

  async addRetiredKey(directoryUrl: string, key: RetiredAccountKey): Promise<void> {
    const sealed = encryptPrivateKey(this.ring, key.keyPem, owner(directoryUrl));
    await this.db.query('INSERT INTO account_keys_retired (directory_url, reason, key_ciphertext, key_nonce, key_id, retired_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      directoryUrl,
      key.reason,
      sealed.ciphertext,
      sealed.nonce,
      sealed.keyId,
      key.retiredAt,
    ]);
  }
}

function owner(directoryUrl: string): KeyOwner {
  return { kind: 'account', directoryUrl };
}
