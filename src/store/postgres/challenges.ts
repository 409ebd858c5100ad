/**
 * Challenge answers (ports.ts `ChallengeTokens`) in `challenge_tokens`, so any node can answer an
 * http-01 or tls-alpn-01 challenge another node ordered. Expiry is compared with the database's
 * clock, the one every node shares (as leases.ts does).
 */
import type { ChallengeToken, ChallengeTokens } from '../ports.js';
import type { Db } from './db.js';
import { timestamp } from './db.js';

export class PostgresChallengeTokens implements ChallengeTokens {
  constructor(private readonly db: Db) {}

  async put(entry: ChallengeToken): Promise<void> {
    await this.db.transaction(async (client) => {
      await client.query(
        `INSERT INTO challenge_tokens (token, key_authorization, identifier, type, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (token) DO UPDATE SET key_authorization = EXCLUDED.key_authorization, identifier = EXCLUDED.identifier,
           type = EXCLUDED.type, expires_at = EXCLUDED.expires_at`,
        [entry.token, entry.keyAuthorization, entry.identifier, entry.type, timestamp(entry.expiresAt)],
      );
      // Answers nobody deleted (a runner that died mid-order) are swept here, by the expiry index.
      await client.query('DELETE FROM challenge_tokens WHERE expires_at < now()');
    });
  }

  async get(token: string): Promise<ChallengeToken | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM challenge_tokens WHERE token = $1 AND expires_at > now()`, [token]);
    return answer(rows[0]);
  }

  async delete(token: string): Promise<void> {
    await this.db.query('DELETE FROM challenge_tokens WHERE token = $1', [token]);
  }

  async forIdentifier(identifier: string, type: ChallengeToken['type']): Promise<ChallengeToken | undefined> {
    // Two orders may validate one name at once: the newest answer (every answer lives as long) is
    // the one its CA is about to ask for. Index challenge_tokens_identifier (migration 8).
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM challenge_tokens WHERE identifier = $1 AND type = $2 AND expires_at > now() ORDER BY expires_at DESC LIMIT 1`,
      [identifier, type],
    );
    return answer(rows[0]);
  }
}

const COLUMNS = 'token, key_authorization, identifier, type, expires_at';

interface Row {
  token: string;
  key_authorization: string;
  identifier: string;
  type: ChallengeToken['type'];
  expires_at: Date;
}

function answer(row: Row | undefined): ChallengeToken | undefined {
  return row === undefined
    ? undefined
    : { token: row.token, keyAuthorization: row.key_authorization, identifier: row.identifier, type: row.type, expiresAt: row.expires_at.getTime() };
}
