/**
 * What `renew` and `drill` leave in the state store, read for a report when it is there: the
 * managed-certificates summary (ManagedStateFile) and the latest drill record (DrillSummary); on
 * the file store these are
 *   <stateDir>/managed.json         ManagedStateFile
 *   <stateDir>/drills/latest.json   DrillSummary
 * A missing one is not an error (the report works from the inventory alone); a malformed one is,
 * with a message naming where it is and the bad key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonAs } from '../config/parse-json.js';
import { CertfleetError, ConfigError } from '../errors.js';
import { SUMMARY_FILE } from '../store/file-run-records.js';
import { agentHeartbeats, type HostSignsOfLife, type StateStore } from '../store/ports.js';
import type { DrillSummary, ManagedCertificateState } from './inputs.js';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'a date and time (ISO 8601)');

const managedSchema = z.object({
  schemaVersion: z.literal(1),
  certificates: z.array(
    z.object({
      name: z.string().min(1),
      domains: z.array(z.string().min(1)),
      serialNumber: z.string().optional(),
      fingerprintSha256: z.string().optional(),
      notBefore: isoTime.optional(),
      notAfter: isoTime.optional(),
      schedule: z.object({
        runIntervalMinutes: z.number().positive().optional(),
        usesAri: z.boolean(),
        renewAtFraction: z.number().gt(0).lt(1).optional(),
        fixedDaysBeforeExpiry: z.number().nonnegative().optional(),
        fixedDaysAfterIssuance: z.number().positive().optional(),
      }),
      challenge: z.object({
        type: z.enum(['http-01', 'dns-01', 'tls-alpn-01', 'dns-persist-01']),
        lastValidatedAt: isoTime.optional(),
        lastError: z.string().optional(),
      }),
      ca: z.string().optional(),
      profile: z.string().optional(),
    }),
  ),
});

const drillSchema = z.object({
  schemaVersion: z.literal(1).optional(),
  id: z.string().optional(),
  startedAt: isoTime,
  finishedAt: isoTime,
  shareAutomated: z.number().min(0).max(1).optional(),
  certificates: z.array(
    z.object({
      fingerprintSha256: z.string().optional(),
      name: z.string().optional(),
      automated: z.boolean(),
      secondsToReplace: z.number().nonnegative().nullable(),
      hosts: z
        .array(
          z.object({
            host: z.string().min(1),
            status: z.enum(['deployed', 'failed', 'not-reporting']),
            version: z.string().optional(),
            seconds: z.number().nonnegative().optional(),
            detail: z.string().optional(),
          }),
        )
        .optional(),
    }),
  ),
});

export interface StateInputs {
  managed?: ManagedCertificateState[];
  drill?: DrillSummary;
  hostsWithoutAgent?: string[];
  agentSigns?: { hosts: HostSignsOfLife[]; readAt?: number };
}

/** What the configured store holds, read through its run records (the CLI's way: either store). */
/** `readAt`: now (epoch ms), when the agents' heartbeats are judged (report's inputs.ts `agentSigns`). */
export async function readStoredState(store: Pick<StateStore, 'kind' | 'location' | 'runs' | 'deployments'>, readAt?: number): Promise<StateInputs> {
  // Named as the files are on the file store, so its messages are what they always were.
  const onFiles = store.kind === 'file';
  const summaryAt = onFiles ? join(store.location, SUMMARY_FILE) : `the managed-certificates summary in ${store.location}`;
  const drillAt = onFiles ? store.runs.recordLocation('drill', 'latest') : `the latest drill record in ${store.location}`;
  const out: StateInputs = {};
  addManaged(out, await readValue(() => store.runs.readSummary(), summaryAt));
  addDrill(out, await readValue(() => store.runs.latestRecord('drill'), drillAt));
  // The shared store's per-host records (the file store has none: its report is what it was).
  // With heartbeats, an idle agent is not taken for a missing one, nor a dead one for a live one.
  const heartbeats = agentHeartbeats(store);
  if (heartbeats) out.agentSigns = { hosts: await heartbeats.fleetHosts(), ...(readAt !== undefined ? { readAt } : {}) };
  else if (store.deployments) out.hostsWithoutAgent = await store.deployments.hostsWithoutReports();
  return out;
}

/** The state directory's files, read at once (the report's fixtures); the CLI reads through the store (readStoredState). */
export function readStateDir(dir: string): StateInputs {
  const out: StateInputs = {};
  addManaged(out, readOptionalText(join(dir, SUMMARY_FILE)));
  addDrill(out, readOptionalText(join(dir, 'drills', 'latest.json')));
  return out;
}

interface Read {
  /** The JSON text; undefined when there is none. */
  text: string | undefined;
  where: string;
}

/** The one place each document is validated, whichever way it was read. */
function addManaged(out: StateInputs, summary: Read): void {
  if (summary.text !== undefined) out.managed = parseJsonAs(summary.text, managedSchema, summary.where).certificates as ManagedCertificateState[];
}

function addDrill(out: StateInputs, drill: Read): void {
  if (drill.text !== undefined) out.drill = parseJsonAs(drill.text, drillSchema, drill.where) as DrillSummary;
}

/**
 * A store's document as the text parseJsonAs checks (a stored value serialises back to what was
 * parsed); a file store's bad JSON and read errors become the same messages as a file read here.
 */
async function readValue(read: () => Promise<unknown>, where: string): Promise<Read> {
  let value: unknown;
  try {
    value = await read();
  } catch (err) {
    if (err instanceof CertfleetError) throw err; // the store's own (a database that cannot be reached)
    // parseJsonAs's words for the same fault: one message whichever way the file was read.
    if (err instanceof SyntaxError) throw new ConfigError(`${where} is not valid JSON: ${err.message}`);
    throw new ConfigError(`cannot read ${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { text: value === undefined ? undefined : JSON.stringify(value), where };
}

function readOptionalText(path: string): Read {
  try {
    return { text: readFileSync(path, 'utf8'), where: path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: undefined, where: path };
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
