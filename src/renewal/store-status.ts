/**
 * `status` on the shared store: the fleet is the specs the store holds (`certfleet apply`), so a
 * runner whose config has no certificates shows every one of them. Specs are read a page at a
 * time, each resolved on this host as a run would resolve it, and their state and current version
 * read with one query per page (ports.ts `CertificateBatchReads`): 10,000 certificates are 20
 * pages, not 30,000 queries. A spec this host cannot resolve is listed with the reason, as renew
 * here would fail it, and the rest are shown.
 *
 * A config whose certificates were never applied, or changed since, is what the next renew
 * applies: status then shows the config's certificates instead, and says so.
 */
import type { CertificateEntry, SpecSource } from '../config/certificate-files.js';
import { checkedEntry } from '../config/certificate-files.js';
import { describeError, UsageError } from '../errors.js';
import type { CertificateBatchReads, CertificateRecords, SpecRecords } from '../store/ports.js';
import type { ManagedCertificate, RenewSettings } from './managed.js';
import { CERTIFICATE_NAME, certificateStatus, daysLeft, issuerOf, STATUS_SCHEMA_VERSION, type CertificateStatus, type OrphanedStatus, type StatusResult, type UnresolvedStatus } from './status.js';

export interface StatusStore {
  /** For messages and the result: the store's URL without its password. */
  location: string;
  certificates: CertificateRecords & CertificateBatchReads;
  specs: SpecRecords;
}

/** A page of certificates to show: this many specs resolved, one query for their state. */
export const STATUS_PAGE = 500;

/** A certificate to show, before it is resolved: its name, where its spec was written, and the spec. */
interface Pending {
  name: string;
  where: string;
  entry: () => CertificateEntry;
}

export async function collectStoreStatus(
  settings: Pick<RenewSettings, 'stateDir' | 'policy' | 'specs'>,
  store: StatusStore,
  options: { now: Date; names: readonly string[]; warn: (message: string) => void },
): Promise<StatusResult> {
  const { now, names, warn } = options;
  const fromConfig = await configNotApplied(settings.specs, store.specs);
  if (fromConfig) warn(`the config's certificates are not the ones applied to ${store.location}: status shows the config's (the next renew applies them, or certfleet apply)`);
  const pages = fromConfig ? configPages(settings.specs, names) : storePages(store.specs, names);
  const certificates: CertificateStatus[] = [];
  const unresolved: UnresolvedStatus[] = [];
  const shown = new Set<string>();
  for await (const page of pages) {
    const facts = await store.certificates.statusPage(
      page.map((p) => p.name),
      warn,
    );
    for (const p of page) {
      shown.add(p.name);
      const f = facts.get(p.name);
      const version = f?.current?.version;
      let cert: ManagedCertificate;
      try {
        cert = await settings.specs.resolve(p.entry());
      } catch (err) {
        // The words renew uses for the same failure (store-work.ts), so the two read alike.
        unresolved.push({ name: p.name, where: p.where, error: `its spec (${p.where}) cannot be used on this runner: ${describeError(err)}`, serialNumber: version?.serialNumber ?? null, notAfter: version?.notAfter ?? null, daysLeft: daysLeft(version, now) });
        continue;
      }
      const issuer = f?.current ? issuerOf(f.current.certPem) : null;
      certificates.push(await certificateStatus(cert, { state: f?.state ?? { schemaVersion: 1 }, version, issuer, versions: f?.versions ?? 0 }, settings.policy, now));
    }
  }
  const orphaned = names.length > 0 ? [] : await orphans(store, shown);
  return { schemaVersion: STATUS_SCHEMA_VERSION, generatedAt: now.toISOString(), stateDir: settings.stateDir, certificates, orphaned, store: store.location, unresolved };
}

/** The config has certificates of its own and they are not what was last applied (the fingerprint renew compares). */
async function configNotApplied(source: SpecSource, specs: SpecRecords): Promise<boolean> {
  if (source.inline.length === 0 && source.files.length === 0) return false;
  return (await specs.appliedFingerprint()) !== (await source.fingerprint());
}

/** The store's active specs by name, a page at a time; or those named (an unknown name is an error, as for renew). */
async function* storePages(specs: SpecRecords, names: readonly string[]): AsyncIterable<Pending[]> {
  const pending = (spec: Awaited<ReturnType<SpecRecords['page']>>[number]): Pending => ({ name: spec.name, where: spec.where, entry: () => checkedEntry(spec) });
  if (names.length > 0) {
    const found = await specs.read(names);
    const unknown = names.filter((n) => !found.has(n));
    if (unknown.length) throw new UsageError(`unknown certificate name(s): ${unknown.join(', ')} (not among the specs in the store)`, 'apply the config that has them (certfleet apply), or run certfleet status without names to list them');
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += STATUS_PAGE) yield unique.slice(i, i + STATUS_PAGE).map((n) => pending(found.get(n)!));
    return;
  }
  for (let page = await specs.page(undefined, STATUS_PAGE); page.length > 0; page = await specs.page(page.at(-1)!.name, STATUS_PAGE)) yield page.map(pending);
}

/** The config's entries, the main file's then each certificates.d file's, a page at a time; or those named. */
async function* configPages(source: SpecSource, names: readonly string[]): AsyncIterable<Pending[]> {
  const wanted = names.length > 0 ? new Set(names) : undefined;
  const found = new Set<string>();
  let page: Pending[] = [];
  const files = [async () => source.inline, ...source.files.map((file) => () => source.read(file))];
  for (const read of files) {
    for (const e of await read()) {
      if (wanted && !wanted.has(e.entry.name)) continue;
      found.add(e.entry.name);
      page.push({ name: e.entry.name, where: e.where, entry: () => e });
      if (page.length === STATUS_PAGE) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
  const unknown = names.filter((n) => !found.has(n));
  if (unknown.length) throw new UsageError(`unknown certificate name(s): ${unknown.join(', ')} (not in the config)`);
}

/** Certificates the store holds state for that no spec shown names: no run renews them. Read a page at a time too. */
async function orphans(store: StatusStore, shown: ReadonlySet<string>): Promise<OrphanedStatus[]> {
  const names = (await store.certificates.names()).filter((n) => !shown.has(n) && CERTIFICATE_NAME.test(n));
  const out: OrphanedStatus[] = [];
  for (let i = 0; i < names.length; i += STATUS_PAGE) {
    const page = names.slice(i, i + STATUS_PAGE);
    // Only the current version is shown of an orphan: its state is not read, so not reported either.
    const facts = await store.certificates.statusPage(page, () => undefined);
    for (const name of page) {
      const v = facts.get(name)?.current?.version;
      out.push({ name, directory: `the state store (${name})`, serialNumber: v?.serialNumber ?? null, notAfter: v?.notAfter ?? null, removeCommand: `certfleet remove ${name}` });
    }
  }
  return out;
}
