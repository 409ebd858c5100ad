/**
 * `certfleet dns persist-record NAME`'s work: the dns-persist-01 records a managed certificate
 * needs, for the account the store holds at its CA. The account must exist (the record names it):
 * nothing is registered here. The CA's directory gives its issuer domain names and, on CAs that
 * follow draft-ietf-acme-dns-persist-02, the accountHashPrefix of the hashed accounturi.
 */
import { AcmeClient } from '../acme/index.js';
import { persistUntilDate } from '../challenges/config.js';
import { persistRecordsFor, type PersistRecordSet } from '../challenges/dns-persist-01/records.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccountRecords } from '../store/ports.js';
import type { ManagedCertificate } from './managed.js';

export interface PersistRecordReport extends PersistRecordSet {
  certificate: string;
  directoryUrl: string;
  accountUrl: string;
}

/** TTL of the printed records: they stay for months, so an hour of caching costs nothing. */
const PERSIST_TTL = 3600;

export async function persistRecordsForCertificate(cert: ManagedCertificate, accounts: AccountRecords, options: { logger: Logger; now: () => Date }): Promise<PersistRecordReport> {
  const { directoryUrl } = cert.ca;
  const stored = await accounts.load(directoryUrl, (m) => options.logger.warn(m));
  if (stored?.account?.url === undefined) {
    throw new UsageError(`no ACME account for ${directoryUrl} in ${accounts.describe(directoryUrl)}: the record names the account, so it must exist first`, 'run `certfleet account register` (or `certfleet renew`, which registers it), then print the record again');
  }
  if (stored.pendingKeyPem !== undefined) options.logger.warn('an account key rollover is unfinished; the record uses the current key: print it again after the next run settles it');
  const client = new AcmeClient({
    directoryUrl,
    accountKeyPem: stored.keyPem,
    accountUrl: stored.account.url,
    ...(cert.ca.caBundlePem ? { caBundlePem: cert.ca.caBundlePem } : {}),
    requestTimeoutMs: cert.ca.requestTimeoutMs,
    logger: options.logger,
  });
  try {
    const meta = await client.directoryMeta();
    const challenge = cert.challenge.type === 'dns-persist-01' ? cert.challenge : undefined;
    const set = persistRecordsFor({
      domains: cert.domains,
      account: { accountUrl: stored.account.url, thumbprint: client.accountKeyThumbprint, ...(meta.accountHashPrefix === undefined ? {} : { accountHashPrefix: meta.accountHashPrefix }) },
      caIssuerDomainNames: meta.issuerDomainNames,
      ...(challenge?.issuerDomainName === undefined ? {} : { issuerDomainName: challenge.issuerDomainName }),
      ...(challenge?.policy === undefined ? {} : { policy: challenge.policy }),
      ...(challenge?.persistUntil === undefined ? {} : { persistUntil: persistUntilDate(challenge.persistUntil, options.now()) }),
      ttl: PERSIST_TTL,
    });
    return { certificate: cert.name, directoryUrl, accountUrl: stored.account.url, ...set };
  } finally {
    client.close();
  }
}
