/** `certfleet account register|show|rollover|deactivate` for the configured CA. */
import type { AcmeClient} from '../acme/index.js';
import { resolveDirectoryUrl, isCaPreset, stagingPresets } from '../acme/index.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { AccountStore } from '../store/account-store.js';
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

export async function runAccountAction(verb: AccountVerb, settings: RenewSettings, options: AccountOptions): Promise<AccountSummary> {
  const ca = caFor(settings, options);
  const accounts = new AccountStore(settings.stateDir);
  if (verb === 'deactivate' && !options.confirmed) {
    throw new UsageError('deactivating an ACME account cannot be undone: add --yes to confirm');
  }
  if (verb !== 'register' && !(await accounts.load(ca.directoryUrl))) {
    throw new UsageError(`no account for ${ca.directoryUrl} in ${settings.stateDir}: run \`certfleet account register\` first`);
  }
  const clients = new AcmeClients(accounts, options.logger, options.now);
  try {
    const client: AcmeClient = await clients.get(ca);
    if (verb === 'rollover') {
      const newKey = await generatePrivateKey('ec-p256');
      await client.rolloverKey(newKey);
      const stored = (await accounts.load(ca.directoryUrl))!;
      await accounts.save(newKey, stored.account);
      options.logger.info('account key rolled over; the old key is no longer valid');
    }
    const info = verb === 'deactivate' ? await client.deactivateAccount() : await client.accountInfo();
    return { directoryUrl: ca.directoryUrl, url: info.url, status: info.status, contact: info.contact };
  } finally {
    clients.close();
  }
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
