/** `certfleet account register|show|rollover|deactivate` for the configured CA, on the configured store's account. */
import type { AcmeClient } from '../acme/index.js';
import { AcmeProblemError, resolveDirectoryUrl, isCaPreset, stagingPresets } from '../acme/index.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccountRecords, StateStore } from '../store/ports.js';
import { generatePrivateKey } from '../x509/generate-key.js';
import { AcmeClients } from './acme-clients.js';
import type { CaSettings, RenewSettings } from './managed.js';

export type AccountVerb = 'register' | 'show' | 'rollover' | 'deactivate';

export interface AccountSummary {
  directoryUrl: string;
  url: string;
  status: string;
  contact: string[];
}

export interface AccountOptions {
  server?: string;
  staging: boolean;
  confirmed: boolean;
  logger: Logger;
  now: () => Date;
}

/** `store`: the configured one (the caller opens and closes it); its location names it in messages. */
export async function runAccountAction(verb: AccountVerb, settings: RenewSettings, store: Pick<StateStore, 'accounts' | 'location'>, options: AccountOptions): Promise<AccountSummary> {
  const ca = caFor(settings, options);
  const accounts = store.accounts;
  if (verb === 'deactivate' && !options.confirmed) {
    throw new UsageError('deactivating an ACME account cannot be undone: add --yes to confirm');
  }
  if (verb !== 'register' && !(await accounts.exists(ca.directoryUrl))) {
    throw new UsageError(`no account for ${ca.directoryUrl} in ${store.location}: run \`certfleet account register\` first`);
  }
  const clients = new AcmeClients(accounts, options.logger, options.now);
  try {
    const client: AcmeClient = await clients.get(ca);
    if (verb === 'rollover') await rollover(client, accounts, ca.directoryUrl, options.logger);
    const info = verb === 'deactivate' ? await client.deactivateAccount() : await client.accountInfo();
    return { directoryUrl: ca.directoryUrl, url: info.url, status: info.status, contact: info.contact };
  } finally {
    clients.close();
  }
}

/**
 * The new key is stored as pending (the file store's account.key.pending, 0600; the database's
 * pending key columns) before the CA is asked, and replaces the account key only once the CA
 * accepted it, the old key kept (account.key.old-<time>; a retired key row). A crash between leaves
 * both keys stored; the next run asks the CA which one it knows (AcmeClients).
 */
async function rollover(client: AcmeClient, accounts: AccountRecords, directoryUrl: string, logger: Logger): Promise<void> {
  const newKey = await generatePrivateKey('ec-p256');
  await accounts.stagePendingKey(directoryUrl, newKey);
  try {
    await client.rolloverKey(newKey);
  } catch (err) {
    // Only a refusal (4xx) proves the CA did not switch keys; after a lost answer or a server
    // error either key may be the account's, and the next run asks the CA which.
    if (err instanceof AcmeProblemError && err.status >= 400 && err.status < 500) await accounts.discardPendingKey(directoryUrl);
    throw err;
  }
  const old = await accounts.promotePendingKey(directoryUrl);
  logger.info(`account key rolled over; the old key no longer works at the CA (kept at ${old})`);
}

function caFor(settings: RenewSettings, options: AccountOptions): CaSettings {
  const configured = settings.defaultCa ?? settings.certificates[0]?.ca;
  if (!options.server) {
    if (!configured) throw new UsageError('no CA configured: set acme.server in the config or pass --server');
    return configured;
  }
  let server = options.server;
  if (options.staging) {
    const staging = isCaPreset(server) ? stagingPresets[server] : undefined;
    if (!staging) throw new UsageError(`--staging needs a CA preset with a staging directory, not "${server}"`);
    server = staging;
  }
  return { ...(configured ?? { requestTimeoutMs: 30_000, contact: [], acceptTermsOfService: false }), directoryUrl: resolveDirectoryUrl(server) };
}
