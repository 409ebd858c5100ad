/**
 * What `renew` and `drill` leave in the state directory, read for a report when it is there:
 *   <stateDir>/managed.json         ManagedStateFile
 *   <stateDir>/drills/latest.json   DrillSummary
 * A missing file is not an error (the report works from the inventory alone); a malformed one is,
 * with a message naming the bad key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonAs } from '../config/parse-json.js';
import { ConfigError } from '../errors.js';
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
        type: z.enum(['http-01', 'dns-01', 'tls-alpn-01']),
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
    }),
  ),
});

export interface StateInputs {
  managed?: ManagedCertificateState[];
  drill?: DrillSummary;
}

export function readStateDir(dir: string): StateInputs {
  const out: StateInputs = {};
  const managed = readOptionalJson(join(dir, 'managed.json'), managedSchema);
  if (managed) out.managed = managed.certificates as ManagedCertificateState[];
  const drill = readOptionalJson(join(dir, 'drills', 'latest.json'), drillSchema);
  if (drill) out.drill = drill as DrillSummary;
  return out;
}

function readOptionalJson<T>(path: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseJsonAs(text, schema, path);
}
