/** `certfleet store grant-agent` / `revoke-agent`: the store from the config (or --store), one grant or revocation, what the agent's config needs. */
import { readFileSync } from 'node:fs';
import { ExitCode, UsageError } from '../../errors.js';
import { stderrLogger } from '../logger.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { escapeControls } from '../render/escape.js';
import { packageVersion } from '../version.js';
import { resolveStoreSettings } from './store-action.js';

export const STORE_AGENT_SCHEMA_VERSION = 1;

type Format = 'table' | 'json';

function request(flags: Record<string, unknown>): { host: string; role?: string } {
  return { host: String(flags.host), ...(typeof flags.role === 'string' ? { role: flags.role } : {}) };
}

export async function runStoreGrantAgent(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const store = await resolveStoreSettings(flags, globals, 'grant-agent');
  const logger = stderrLogger({ quiet: globals.quiet ?? false, verbose: flags.verbose === true });
  const publicKeyPem = typeof flags.publicKey === 'string' ? readPublicKey(flags.publicKey) : undefined;
  const { changeAgentRole, grantAgent } = await import('../../store/postgres/agent-roles.js');
  const { registerHostKey } = await import('../../store/postgres/host-keys.js');
  const { loadKeyring } = await import('../../store/postgres/encryption.js');
  // With the data key the host's current keys are wrapped now; without it, by the next renew.
  const keyed = store.encryption.encryptionKeyFile !== undefined || store.encryption.encryptionKeyEnv !== undefined;
  const ring = publicKeyPem !== undefined && keyed ? loadKeyring(store.encryption, { env: process.env, baseDir: store.baseDir, warn: (m) => logger.warn(m) }) : undefined;
  const r = await changeAgentRole(store, { env: process.env, logger, binaryVersion: packageVersion() }, async (pool, server) => {
    const grant = await grantAgent(pool, request(flags), server);
    return { ...grant, hostKey: publicKeyPem === undefined ? undefined : await registerHostKey(pool, server, { host: grant.host, publicKeyPem, ring }) };
  });
  const url = r.agentUrl(r.role);
  const format = (flags.format as Format | undefined) ?? 'table';
  if (format === 'json') {
    const hostKey = r.hostKey === undefined ? {} : { publicKey: { fingerprint: r.hostKey.key.fingerprint, changed: r.hostKey.changed, ...(r.hostKey.wrapped !== undefined ? { wrapped: r.hostKey.wrapped } : {}) } };
    const doc = { schemaVersion: STORE_AGENT_SCHEMA_VERSION, server: r.server, host: r.host, role: r.role, created: r.created, bound: r.bound, url, ...hostKey };
    await writeOutput([`${JSON.stringify(doc, null, 2)}\n`], undefined);
    return ExitCode.ok;
  }
  const what = r.bound ? `${r.created ? 'created and ' : ''}granted` : 'already granted';
  const keyLine =
    r.hostKey === undefined
      ? "The agent registers its own public key on first start (or give --public-key with the output of certfleet agent --print-public-key on the host); runners then wrap its keys to it, and its config needs no store.encryptionKeyFile."
      : `Public key ${r.hostKey.changed ? 'registered' : 'already registered'} for ${r.host} (SHA256:${r.hostKey.key.fingerprint.slice(0, 16)}); ${r.hostKey.wrapped === undefined ? 'the next certfleet renew wraps its current keys to it' : `${r.hostKey.wrapped} current key(s) wrapped to it`}. The agent's config needs no store.encryptionKeyFile.`;
  const lines = [
    `${r.server}: role ${r.role} for host ${r.host}: ${what}`,
    `In the agent's config on ${r.host}: store.postgres.url (or the file urlFile names) = ${url}`,
    keyLine,
    `Set the password with psql's \\password ${r.role} (it sends only a hash), or authenticate the role by certificate.`,
  ];
  await writeOutput([lines.map(escapeControls).join('\n') + '\n'], undefined);
  return ExitCode.ok;
}

function readPublicKey(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--public-key ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'give the file holding the output of certfleet agent --print-public-key on that host');
  }
}

export async function runStoreRevokeAgent(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const store = await resolveStoreSettings(flags, globals, 'revoke-agent');
  const logger = stderrLogger({ quiet: globals.quiet ?? false, verbose: flags.verbose === true });
  const { changeAgentRole, revokeAgent } = await import('../../store/postgres/agent-roles.js');
  const r = await changeAgentRole(store, { env: process.env, logger, binaryVersion: packageVersion() }, (pool, server) => revokeAgent(pool, request(flags), server));
  if (((flags.format as Format | undefined) ?? 'table') === 'json') {
    await writeOutput([`${JSON.stringify({ schemaVersion: STORE_AGENT_SCHEMA_VERSION, server: r.server, host: r.host, revoked: r.roles }, null, 2)}\n`], undefined);
    return ExitCode.ok;
  }
  const text =
    r.roles.length === 0
      ? `${r.server}: host ${r.host} has no agent role; nothing to revoke`
      : `${r.server}: host ${r.host}: revoked ${r.roles.join(', ')} (the login role${r.roles.length === 1 ? ' is' : 's are'} kept without access; DROP ROLE when no longer wanted)`;
  await writeOutput([escapeControls(text) + '\n'], undefined);
  return ExitCode.ok;
}
