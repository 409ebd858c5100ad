/**
 * Schema version 8: tls-alpn-01 answered by the agents (`challenge: { type: tls-alpn-01, agents:
 * true }`). A validator names the identifier in SNI, not the token, so an agent finds the answer by
 * (identifier, type); newest first by expiry. The existing table serves, an index is all it takes.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE INDEX challenge_tokens_identifier ON challenge_tokens (identifier, type, expires_at);
`;

export const challengeIdentifier: Migration = { version: 8, name: 'challenge answers by identifier', sql };
