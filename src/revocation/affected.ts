/**
 * The first step of any incident: which of our certificates does it touch? A CA names the affected
 * certificates by serial, issuer, or by the names whose validation was bad; an operator who leaked
 * a key knows the key. Each criterion narrows the managed set; together they are ANDed, and within
 * one criterion (several --serial) ORed, the way a `find` expression reads.
 */
import { mapConcurrently } from '../concurrency.js';
import { describeError, UsageError } from '../errors.js';
import { selectCertificates, type ManagedCertificate, type RenewSettings } from '../renewal/managed.js';
import { batchReads, versionLookup, type CertificateRecords, type CertificateStatusFacts, type IssuedVersion, type VersionBySerial } from '../store/ports.js';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.js';
import { findPemBlocks } from '../x509/pem.js';

export interface AffectedCriteria {
  /** Managed certificate names. */
  names: string[];
  /** Every managed certificate (needed explicitly where acting on all is destructive). */
  all: boolean;
  /** Serial numbers (hex, any case, colons allowed) of the current certificates (and, for `revoke`, of earlier versions). */
  serials: string[];
  /** DNS names: `www.example.com` matches that name; `*.example.com` that domain and every name under it. */
  domains: string[];
  /** Case-insensitive substring of the current certificate's issuer DN. */
  issuer?: string;
  /** SHA-256 of the public key (hex) the current certificate certifies: a compromised key. */
  keyFingerprints: string[];
}

/** One managed certificate in the affected set, with the facts the blast radius groups by. */
export interface AffectedCertificate {
  name: string;
  domains: string[];
  /** The certificate in use now (absent: never issued, nothing to revoke, a replacement issues one). */
  current?: {
    versionId: string;
    serialNumber: string;
    fingerprintSha256: string;
    issuer: string;
    notAfter: string;
    publicKeyFingerprintSha256: string;
  };
  /** Why the current certificate could not be read, when it exists but is damaged (then `current` is absent). */
  unreadable?: string;
  /** The ACME directory the certificate comes from. */
  ca: string;
  /** Hosts named by the certificate's verify endpoints: where a replacement must show up. */
  hosts: string[];
}

export function hasCriteria(c: AffectedCriteria): boolean {
  return c.all || c.names.length > 0 || c.serials.length > 0 || c.domains.length > 0 || c.issuer !== undefined || c.keyFingerprints.length > 0;
}

/**
 * An earlier (not current) version of a managed certificate that a serial selected for `revoke`:
 * already replaced (a `replace` from the same CA list), so nothing is ordered; only revoked.
 */
export interface EarlierVersion {
  name: string;
  versionId: string;
  serialNumber: string;
  /** The version as the affected set describes a certificate; absent when it cannot be read (then `unreadable`). */
  version?: NonNullable<AffectedCertificate['current']>;
  unreadable?: string;
  /** The certificate's current version, which replaced it; absent when none is current. */
  replacedBy?: { versionId: string; serialNumber: string };
}

/** What `revoke` acts on: current certificates (replaced, then revoked) and earlier versions (revoked only). */
export interface RevokeSelection {
  affected: AffectedCertificate[];
  earlier: EarlierVersion[];
}

/**
 * The affected set a command acts on, never empty. Commands that replace or revoke on purpose take
 * nothing implicitly (a selection, or --all); a drill rehearses everything when nothing is named.
 * A serial of an earlier version is skipped here: replacing or rehearsing it again would replace
 * the certificate that replaced it.
 */
export async function selectAffected(settings: RenewSettings, store: CertificateRecords, criteria: AffectedCriteria, verb: 'drill' | 'replace' | 'revoke'): Promise<AffectedCertificate[]> {
  return (await select(settings, store, criteria, verb, false)).affected;
}

/**
 * `revoke`'s selection: as `selectAffected`, and a serial of an earlier version selects that
 * version too (the natural incident order is `replace --serials-from`, then `revoke
 * --serials-from` of the same list: by then every listed serial is an earlier version). Empty only
 * when both are.
 */
export async function selectForRevoke(settings: RenewSettings, store: CertificateRecords, criteria: AffectedCriteria): Promise<RevokeSelection> {
  return select(settings, store, criteria, 'revoke', true);
}

async function select(settings: RenewSettings, store: CertificateRecords, criteria: AffectedCriteria, verb: 'drill' | 'replace' | 'revoke', withEarlier: boolean): Promise<RevokeSelection> {
  if (verb !== 'drill' && !hasCriteria(criteria)) {
    throw new UsageError(`say which certificates to ${verb}: names, --serial, --serials-from, --domain, --issuer, --key, or --all`);
  }
  const affected = await findAffected(settings, store, criteria);
  const replaced = await checkSerials(settings, store, criteria.serials, affected);
  const earlier = withEarlier ? await earlierSelected(settings, store, criteria, replaced) : [];
  if (affected.length === 0 && earlier.length === 0) {
    if (!withEarlier && replaced.length > 0 && replaced.length === new Set(criteria.serials.map(normaliseSerial)).size) {
      throw new UsageError(`every serial selected is of a certificate already replaced (${listed(replaced.map((r) => `${r.serial}: ${r.name}`))}): nothing to ${verb}`);
    }
    throw new UsageError(`no managed certificate matches the selection: nothing to ${verb}`);
  }
  return { affected, earlier };
}

/** A serial that matched an earlier version of a managed certificate. */
interface ReplacedMatch {
  /** As written in the selection. */
  serial: string;
  name: string;
  version: IssuedVersion;
  current: IssuedVersion | undefined;
}

/**
 * A serial that is no certificate of ours is an error before anything is ordered: from a CA's
 * list it is a certificate this tool does not manage, which someone must replace by hand, and a
 * typo must not shrink the set in silence. A serial of an earlier version is not an error: that
 * certificate was already replaced (a rerun after part of the set was done); `revoke` selects
 * that version, the others skip it. A serial of a current certificate the other criteria left out
 * is neither. One query on the shared store (`VersionLookup`); elsewhere one read of versions per
 * managed certificate; either only when some serial matched no selected current certificate.
 */
async function checkSerials(settings: RenewSettings, store: CertificateRecords, serials: readonly string[], affected: readonly AffectedCertificate[]): Promise<ReplacedMatch[]> {
  const current = new Set(affected.flatMap((a) => (a.current ? [normaliseSerial(a.current.serialNumber)] : [])));
  const unmatched = new Map<string, string>();
  for (const s of serials) if (!current.has(normaliseSerial(s))) unmatched.set(normaliseSerial(s), s);
  if (unmatched.size === 0) return [];
  const { found, unreadable } = await versionsBySerial(settings, store, [...unmatched.keys()]);
  const known = new Set(found.map((f) => normaliseSerial(f.version.serialNumber)));
  const unknown = [...unmatched].filter(([n]) => !known.has(n)).map(([, written]) => written);
  if (unknown.length > 0) {
    const damaged = unreadable.length ? ` (the versions of ${listed(unreadable.sort())} could not be read)` : '';
    throw new UsageError(`${unknown.length} serial(s) selected match no certificate certfleet manages, current or earlier: ${listed(unknown)}${damaged}`, 'nothing was ordered or revoked. Check the list for typos; a certificate certfleet does not manage must be replaced by hand: take its serial out of the selection and run again');
  }
  return found
    .filter((f) => f.version.id !== f.current?.id)
    .map((f) => ({ serial: unmatched.get(normaliseSerial(f.version.serialNumber))!, name: f.name, version: f.version, current: f.current }));
}

/** Versions of managed certificates whose serial (normalised) is listed, each with its certificate's current version. */
async function versionsBySerial(settings: RenewSettings, store: CertificateRecords, serials: readonly string[]): Promise<{ found: VersionBySerial[]; unreadable: string[] }> {
  const managed = new Set(settings.certificates.map((c) => c.name));
  const lookup = versionLookup(store);
  if (lookup) return { found: (await lookup.versionsBySerial(serials)).filter((f) => managed.has(f.name)), unreadable: [] };
  const wanted = new Set(serials);
  const found: VersionBySerial[] = [];
  const unreadable: string[] = [];
  await mapConcurrently(settings.certificates, 8, async (c) => {
    const versions = await store.versions(c.name).catch(() => {
      unreadable.push(c.name);
      return [];
    });
    const matches = versions.filter((v) => wanted.has(normaliseSerial(v.serialNumber)));
    if (matches.length === 0) return;
    const currentId = await store.currentId(c.name).catch(() => undefined);
    const current = versions.find((v) => v.id === currentId);
    for (const version of matches) found.push({ name: c.name, version, current });
  });
  return { found, unreadable };
}

/**
 * The earlier versions `revoke` acts on: those of certificates the names and domains select, whose
 * version matches the issuer and key criteria too (ANDed, as for current certificates). A version
 * that cannot be read is kept, to be reported as failed: it must not vanish from an incident.
 */
async function earlierSelected(settings: RenewSettings, store: CertificateRecords, criteria: AffectedCriteria, replaced: readonly ReplacedMatch[]): Promise<EarlierVersion[]> {
  if (replaced.length === 0) return [];
  const domainMatchers = criteria.domains.map(domainMatcher);
  const candidates = new Set(
    selectCertificates(settings, criteria.names)
      .filter((cert) => !domainMatchers.length || cert.domains.some((d) => domainMatchers.some((m) => m(d.toLowerCase()))))
      .map((c) => c.name),
  );
  const keys = new Set(criteria.keyFingerprints.map((k) => k.replace(/:/g, '').toLowerCase()));
  const issuer = criteria.issuer?.toLowerCase();
  const order = new Map(settings.certificates.map((c, i) => [c.name, i]));
  const out: EarlierVersion[] = [];
  for (const r of [...replaced].sort((a, b) => order.get(a.name)! - order.get(b.name)! || (a.version.id < b.version.id ? -1 : a.version.id > b.version.id ? 1 : 0))) {
    if (!candidates.has(r.name)) continue;
    const base: EarlierVersion = {
      name: r.name,
      versionId: r.version.id,
      serialNumber: r.version.serialNumber,
      ...(r.current ? { replacedBy: { versionId: r.current.id, serialNumber: r.current.serialNumber } } : {}),
    };
    let version: NonNullable<AffectedCertificate['current']>;
    try {
      version = await describeVersion(store, r.name, r.version.id);
    } catch (err) {
      out.push({ ...base, unreadable: describeError(err) });
      continue;
    }
    if (keys.size && !keys.has(version.publicKeyFingerprintSha256)) continue;
    if (issuer !== undefined && !version.issuer.toLowerCase().includes(issuer)) continue;
    out.push({ ...base, version });
  }
  return out;
}

/** At most ten, then how many more: an incident's list can be long. */
function listed(items: readonly string[]): string {
  return items.slice(0, 10).join(', ') + (items.length > 10 ? `, +${items.length - 10} more` : '');
}

/** The managed certificates matching every given criterion (all of them when none is given). */
export async function findAffected(settings: RenewSettings, store: CertificateRecords, criteria: AffectedCriteria): Promise<AffectedCertificate[]> {
  const named = selectCertificates(settings, criteria.names);
  const serials = new Set(criteria.serials.map(normaliseSerial));
  const keys = new Set(criteria.keyFingerprints.map((k) => k.replace(/:/g, '').toLowerCase()));
  const domainMatchers = criteria.domains.map(domainMatcher);
  const issuer = criteria.issuer?.toLowerCase();

  const candidates = domainMatchers.length ? named.filter((cert) => cert.domains.some((d) => domainMatchers.some((m) => m(d.toLowerCase())))) : named;
  const out: AffectedCertificate[] = [];
  // The shared store reads current certificates a page at a time, and no key with them: a fleet's
  // selection is a query per page, not one per certificate each decrypting a key nobody needs.
  const batch = batchReads(store);
  for (let i = 0; i < candidates.length; i += SELECTION_PAGE) {
    const page = candidates.slice(i, i + SELECTION_PAGE);
    const facts = batch ? await batch.statusPage(page.map((c) => c.name), () => undefined).then(currentPems, () => undefined) : undefined;
    for (const cert of page) {
      const affected = await describe(cert, facts ? () => Promise.resolve(facts.get(cert.name)) : () => store.current(cert.name).then((c) => c && { versionId: c.version.id, certPem: c.files.certPem }));
      const current = affected.current;
      // A criterion about the certificate itself cannot match one that was never issued.
      if (serials.size && !(current && serials.has(normaliseSerial(current.serialNumber)))) continue;
      if (keys.size && !(current && keys.has(current.publicKeyFingerprintSha256))) continue;
      if (issuer !== undefined && !(current && current.issuer.toLowerCase().includes(issuer))) continue;
      out.push(affected);
    }
  }
  return out;
}

/** Certificates read at once from a store with batch reads (as status pages them). */
const SELECTION_PAGE = 500;

function currentPems(facts: Map<string, CertificateStatusFacts>): Map<string, { versionId: string; certPem: string }> {
  return new Map([...facts].flatMap(([name, f]) => (f.current ? [[name, { versionId: f.current.version.id, certPem: f.current.certPem }] as const] : [])));
}

async function describe(cert: ManagedCertificate, readCurrent: () => Promise<{ versionId: string; certPem: string } | undefined>): Promise<AffectedCertificate> {
  const base = { name: cert.name, domains: cert.domains, ca: cert.ca.directoryUrl, hosts: [...new Set(cert.verify.map((v) => v.sni ?? v.host))] };
  let info: CertificateInfo;
  let versionId: string;
  try {
    const stored = await readCurrent();
    if (!stored) return base;
    const leaf = findPemBlocks(stored.certPem).find((b) => b.type === 'CERTIFICATE');
    if (!leaf) throw new Error('no certificate in cert.pem');
    info = parseCertificate(leaf.der).info;
    versionId = stored.versionId;
  } catch (err) {
    // One damaged version must not stop an incident response for the whole fleet: this one is
    // reported (a replacement still works: renew treats it as missing), the others go on.
    return { ...base, unreadable: describeError(err) };
  }
  return { ...base, current: currentOf(versionId, info) };
}

/** A stored version (not necessarily the current one) as the affected set describes a certificate: a revoke resumed after its hosts confirmed the replacement revokes the version it replaced. */
export async function describeVersion(store: CertificateRecords, name: string, versionId: string): Promise<NonNullable<AffectedCertificate['current']>> {
  const { files } = await store.readVersion(name, versionId);
  const leaf = findPemBlocks(files.certPem).find((b) => b.type === 'CERTIFICATE');
  if (!leaf) throw new Error(`no certificate in version ${versionId}'s cert.pem`);
  return currentOf(versionId, parseCertificate(leaf.der).info);
}

function currentOf(versionId: string, info: CertificateInfo): NonNullable<AffectedCertificate['current']> {
  return {
    versionId,
    serialNumber: info.serialNumber,
    fingerprintSha256: info.fingerprintSha256,
    issuer: info.issuer,
    notAfter: info.notAfter,
    publicKeyFingerprintSha256: info.publicKeyFingerprintSha256,
  };
}

/** `*.example.com` covers example.com, *.example.com and every name below; other patterns match exactly. */
export function domainMatcher(pattern: string): (name: string) => boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return (name) => name === p;
  const base = p.slice(2);
  return (name) => name === base || name.endsWith(`.${base}`);
}

/**
 * A serial as a number, in hex: `00:AB:cd` -> `abcd`, `0abc` -> `abc`. Tools disagree on leading
 * zeros (openssl keeps whole bytes, others print the integer), so both sides drop all of them.
 */
export function normaliseSerial(serial: string): string {
  return serial.replace(/[:\s]/g, '').toLowerCase().replace(/^0+(?=.)/, '');
}
