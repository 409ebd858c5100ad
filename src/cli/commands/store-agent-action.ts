/** `certfleet store grant-agent` / `revoke-agent`: the store from the config (or --store), one grant or revocation, what the agent's config needs. */
import { ExitCode } from '../../errors.js';
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
  const { changeAgentRole, grantAgent } = await import('../../store/postgres/agent-roles.js');
  const r = await changeAgentRole(store, { env: process.env, logger, binaryVersion: packageVersion() }, (pool, server) => grantAgent(pool, request(flags), server));
  const url = r.agentUrl(r.role);
  const format = (flags.format as Format | undefined) ?? 'table';
  if (format === 'json') {
    const doc = { schemaVersion: STORE_AGENT_SCHEMA_VERSION, server: r.server, host: r.host, role: r.role, created: r.created, bound: r.bound, url };
    await writeOutput([`${JSON.stringify(doc, null, 2)}\n`], undefined);
    return ExitCode.ok;
  }
  const what = r.bound ? `${r.created ? 'created and ' : ''}granted` : 'already granted';
  const lines = [
    `${r.server}: role ${r.role} for host ${r.host}: ${what}`,
    `In the agent's config on ${r.host}: store.postgres.url (or the file urlFile names) = ${url}`,
    `Keep store.encryptionKeyFile as the runners have it. Set the password with psql's \\password ${r.role} (it sends only a hash), or authenticate the role by certificate.`,
  ];
  await writeOutput([lines.map(escapeControls).join('\n') + '\n'], undefined);
  return ExitCode.ok;
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
