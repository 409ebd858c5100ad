/**
 * A run on a store that keeps the specs (PostgreSQL, `certfleet apply`): the work is claimed from
 * the store, not listed from the config. Each worker claims one due certificate at a time (claim,
 * lease and spec in one statement; runners sharing the fleet get disjoint ones), resolves its spec
 * on this host and renews it, until nothing due is left that this run has not taken. A nothing-due
 * run on 100,000 certificates is one indexed query per worker.
 *
 * Named certificates, `--plan` and `--force` look at what they name (or at every spec, a page at
 * a time), as the file store's run does.
 */
import { describeError, UsageError } from '../errors.js';
import { mapConcurrently } from '../concurrency.js';
import type { Lease, SpecRecords, StoredSpec } from '../store/ports.js';
import { checkedEntry } from '../config/certificate-files.js';
import type { ManagedCertificate, RenewSettings } from './managed.js';
import type { CertificateOutcome } from './renew-certificate.js';

export interface StoreWork {
  specs: SpecRecords;
  settings: Pick<RenewSettings, 'specs'>;
  names: readonly string[];
  /** Every spec is looked at (plan, force), not only the due ones. */
  all: boolean;
  concurrency: number;
  owner: string;
  ttlMs: number;
  /** Renew one certificate: under `lease` when the claim took one, else as the caller's path does (its own lease, or none for a plan). */
  look: (cert: ManagedCertificate, lease: Lease | undefined) => Promise<CertificateOutcome>;
  /** Give back a lease whose certificate could not be looked at. */
  release: (lease: Lease) => Promise<void>;
  onOutcome: (outcome: CertificateOutcome, done: number, total: number) => void;
}

export interface StoreWorkResult {
  outcomes: CertificateOutcome[];
  /** The certificates looked at, resolved (the summary's lines are theirs). */
  looked: ManagedCertificate[];
}

/** A page of specs for plan and --force over the whole fleet. */
const PAGE = 500;

export async function workFromStore(work: StoreWork): Promise<StoreWorkResult> {
  const result: StoreWorkResult = { outcomes: [], looked: [] };
  if (work.names.length > 0) {
    const found = await work.specs.read(work.names);
    const unknown = work.names.filter((n) => !found.has(n));
    if (unknown.length) throw new UsageError(`unknown certificate name(s): ${unknown.join(', ')} (not among the specs in the store)`, 'apply the config that has them (certfleet apply), or check the names with certfleet status');
    await lookAtAll(work, work.names.map((n) => found.get(n)!), result);
  } else if (work.all) {
    for (let page = await work.specs.page(undefined, PAGE); page.length > 0; page = await work.specs.page(page.at(-1)!.name, PAGE)) await lookAtAll(work, page, result);
  } else {
    await claimDue(work, result);
  }
  return result;
}

async function lookAtAll(work: StoreWork, specs: readonly StoredSpec[], result: StoreWorkResult): Promise<void> {
  await mapConcurrently(specs, work.concurrency, async (spec) => {
    const outcome = await lookAt(work, spec, undefined, result);
    work.onOutcome(outcome, result.outcomes.length, result.outcomes.length);
  });
}

/** `concurrency` workers, each claiming one certificate at a time until the store has none left for this run. */
async function claimDue(work: StoreWork, result: StoreWorkResult): Promise<void> {
  const since = await work.specs.now();
  const worker = async () => {
    for (;;) {
      const [claim] = await work.specs.claimDue(work.owner, work.ttlMs, 1, since);
      if (claim === undefined) return;
      const outcome = claim.spec
        ? await lookAt(work, claim.spec, claim.lease, result)
        : record(result, failed(claim.lease.name, 'the store holds no spec for it'));
      if (!claim.spec) await work.release(claim.lease);
      work.onOutcome(outcome, result.outcomes.length, result.outcomes.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, work.concurrency) }, worker));
}

/** Resolve the spec on this host (its secrets, its programs) and renew; a spec this host cannot resolve is that certificate's failure. */
async function lookAt(work: StoreWork, spec: StoredSpec, lease: Lease | undefined, result: StoreWorkResult): Promise<CertificateOutcome> {
  let cert: ManagedCertificate;
  try {
    // Checked again: another certfleet version (or a hand) may have written the row.
    cert = await work.settings.specs.resolve(checkedEntry(spec));
  } catch (err) {
    if (lease) await work.release(lease);
    return record(result, failed(spec.name, `its spec (${spec.where}) cannot be used on this runner: ${describeError(err)}`));
  }
  result.looked.push(cert);
  return record(result, await work.look(cert, lease));
}

function record(result: StoreWorkResult, outcome: CertificateOutcome): CertificateOutcome {
  result.outcomes.push(outcome);
  return outcome;
}

function failed(name: string, error: string): CertificateOutcome {
  return { name, action: 'failed', reason: 'error', error, explanation: error, durationMs: 0 };
}
