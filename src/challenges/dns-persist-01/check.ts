/**
 * The pre-flight of dns-persist-01: read `_validation-persist.<domain>` (following a CNAME, as the
 * CA's resolver does) from every authoritative server of its zone, and accept only when each of
 * them serves a record the CA will accept for this account (evaluate.ts). A missing record, another
 * account's, an expired one or one without policy=wildcard for a wildcard is a ChallengeError that
 * names the record, the server and the fix, raised before the CA is told to validate: a failed
 * validation costs a CA rate-limit unit, a local check costs nothing.
 */
import type { Logger } from '../../logger.js';
import { ChallengeError, formatMs, sleep } from '../errors.js';
import { DnsClient } from '../dns/client.js';
import type { SystemResolvers } from '../dns/resolvers.js';
import { formatServer } from '../dns/transport.js';
import { openRecordLookup, type RecordLookupOptions } from '../dns/visibility.js';
import { txtValues } from '../dns/wire.js';
import { authoritativeServers, describeDelegation, locateRecord } from '../dns/zone.js';
import type { PersistChallengeData } from '../types.js';
import { evaluatePersistRecords, type PersistFinding } from './evaluate.js';
import { acceptedAccountUris, accountUriFor, persistRecordName, persistRecordValue } from './record.js';

/** Every server answered, and at least one serves no record the CA would accept (not a transport failure). */
export class PersistRecordNotAccepted extends ChallengeError {
  /** Where the record is read (the end of a CNAME chain), absolute, and its zone. */
  readonly recordName: string;
  readonly zone: string;
  readonly reason: Exclude<PersistFinding, { ok: true }>['reason'];
  constructor(message: string, options: { hint: string; recordName: string; zone: string; reason: Exclude<PersistFinding, { ok: true }>['reason'] }) {
    super(message, { hint: options.hint });
    this.name = 'PersistRecordNotAccepted';
    this.recordName = options.recordName;
    this.zone = options.zone;
    this.reason = options.reason;
  }
}

export interface PersistCheck {
  /** The identifier, without `*.`. */
  domain: string;
  /** A wildcard name rides on this record: it needs policy=wildcard. */
  wildcard: boolean;
  binding: PersistChallengeData;
  /** How long to wait for every server to agree (a record just published); 0: look once. */
  waitMs: number;
  lookup: RecordLookupOptions;
  systemResolvers?: SystemResolvers;
  signal: AbortSignal;
  logger: Logger;
  now: () => Date;
}

export interface PersistCheckResult {
  /** Where the record was read (the end of a CNAME chain) and its zone. */
  name: string;
  zone: string;
  servers: string[];
  value: string;
}

const HINTS: Record<Exclude<PersistFinding, { ok: true }>['reason'], string> = {
  absent: 'publish the record `certfleet dns persist-record NAME` prints',
  'other-issuer': 'publish the record `certfleet dns persist-record NAME` prints: it names this CA',
  malformed: 'publish the record exactly as `certfleet dns persist-record NAME` prints it',
  'other-account': 'the record authorises another ACME account (or another CA\'s account URL form): publish the one `certfleet dns persist-record NAME` prints',
  expired: 'publish the record again with a later persistUntil (or none)',
  'no-wildcard': 'a wildcard certificate needs policy=wildcard in the record: set `policy: wildcard` and publish the record `certfleet dns persist-record NAME` prints',
};

export async function checkPersistRecord(check: PersistCheck): Promise<PersistCheckResult> {
  const asked = persistRecordName(check.domain);
  const lookup = await openRecordLookup(check.lookup, check.systemResolvers);
  const located = await locateRecord(lookup.client, asked, check.signal);
  const servers = await authoritativeServers(lookup.client, located.zone, check.signal, check.logger, { includeAsked: lookup.authoritative });
  const clients = servers.map((s) => new DnsClient(s, { timeoutMs: check.lookup.queryTimeoutMs }));
  const expected = { issuerDomainNames: check.binding.issuerDomainNames, accountUris: acceptedAccountUris(check.binding, check.domain), wildcard: check.wildcard };
  const deadline = Date.now() + check.waitMs;
  for (;;) {
    const findings = await Promise.all(
      clients.map(async (client) => {
        try {
          const { rcode, message } = await client.query(located.name, 'TXT', check.signal);
          if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') return { client, answered: false, finding: { ok: false, reason: 'absent', detail: `answered ${rcode}` } as PersistFinding };
          return { client, answered: true, finding: evaluatePersistRecords(txtValues(message, located.name), expected, check.now()) };
        } catch (err) {
          if (check.signal.aborted) throw err;
          return { client, answered: false, finding: { ok: false, reason: 'absent', detail: (err as Error).message } as PersistFinding };
        }
      }),
    );
    const failed = findings.find((f) => !f.finding.ok);
    if (!failed) {
      const first = findings[0]?.finding as Extract<PersistFinding, { ok: true }>;
      check.logger.debug('dns-persist-01: record in place on the authoritative servers', { name: located.name, zone: located.zone, servers: servers.map(formatServer) });
      return { name: located.name, zone: located.zone, servers: servers.map(formatServer), value: first.value };
    }
    if (Date.now() >= deadline) {
      const finding = failed.finding as Exclude<PersistFinding, { ok: true }>;
      const via = located.chain.length > 1 ? ` (${describeDelegation(located)})` : '';
      const waited = check.waitMs > 0 ? ` after ${formatMs(check.waitMs)}` : '';
      const wanted = persistRecordValue({ issuerDomainName: check.binding.issuerDomainNames[0] as string, accountUri: accountUriFor(check.binding, check.domain), wildcard: check.wildcard });
      const message = `dns-persist-01: TXT ${located.name}${via} on ${failed.client.label}${waited}: ${finding.detail}`;
      const hint = `${HINTS[finding.reason]} (for example ${asked} TXT "${wanted}")`;
      // Only a server's own answer proves the record is not there; a silent server proves nothing.
      if (!findings.every((f) => f.answered)) throw new ChallengeError(message, { hint });
      throw new PersistRecordNotAccepted(message, { hint, recordName: located.name, zone: located.zone, reason: finding.reason });
    }
    await sleep(Math.min(check.lookup.pollIntervalMs, Math.max(0, deadline - Date.now())), check.signal);
  }
}
