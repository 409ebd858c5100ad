/**
 * A saved inventory (`certfleet inventory --format json`, or `ndjson`) read back for a report.
 * The check is structural and cheap (100,000 certificates must load in well under a second):
 * the fields the report computes with must be there and have the right type; a message names the
 * first one that is not.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../errors.js';
import { INVENTORY_SCHEMA_VERSION, type CertificateRecord, type InventoryResult } from '../inventory/model.js';

export function readInventoryFile(path: string): InventoryResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read inventory ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the JSON that `certfleet inventory --format json --output FILE` wrote');
  }
  return parseInventory(text, path);
}

export function parseInventory(text: string, name: string): InventoryResult {
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  const raw = /^\{"type":"inventory"/.test(firstLine) ? fromNdjson(text, name) : fromJson(text, name);
  return validate(raw, name);
}

function fromJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${name} is not a certfleet inventory (not valid JSON: ${(err as Error).message})`);
  }
}

function fromNdjson(text: string, name: string): unknown {
  const result = { certificates: [] as unknown[], keys: [] as unknown[], errors: [] as unknown[] } as Record<string, unknown> & { certificates: unknown[]; keys: unknown[]; errors: unknown[] };
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (!line.trim()) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${name}:${lineNo}: not valid JSON: ${(err as Error).message}`);
    }
    const { type, ...rest } = obj;
    if (type === 'inventory') Object.assign(result, rest);
    else if (type === 'certificate') result.certificates.push(rest);
    else if (type === 'key') result.keys.push(rest);
    else if (type === 'error') result.errors.push(rest);
    else if (type === 'summary') result.summary = rest;
  }
  return result;
}

function validate(raw: unknown, name: string): InventoryResult {
  const fail = (what: string): never => {
    throw new ConfigError(`${name} is not a certfleet inventory: ${what}`, 'give the JSON that `certfleet inventory --format json --output FILE` wrote');
  };
  if (typeof raw !== 'object' || raw === null) return fail('not a JSON object');
  const r = raw as Partial<InventoryResult>;
  if (r.schemaVersion !== INVENTORY_SCHEMA_VERSION) return fail(`schemaVersion ${JSON.stringify(r.schemaVersion)} (this certfleet reads ${INVENTORY_SCHEMA_VERSION})`);
  if (!Array.isArray(r.certificates)) return fail('no "certificates" array');
  r.keys ??= [];
  r.errors ??= [];
  if (!Array.isArray(r.keys) || !Array.isArray(r.errors)) return fail('"keys" and "errors" must be arrays');
  r.generatedAt ??= '';
  r.certificates.forEach((c, i) => checkCertificate(c, i, fail));
  r.keys.forEach((k, i) => {
    if (typeof k?.path !== 'string' || !Array.isArray(k.findings)) fail(`keys[${i}]: needs "path" and "findings"`);
  });
  return r as InventoryResult;
}

function checkCertificate(c: CertificateRecord, i: number, fail: (what: string) => never): void {
  if (typeof c !== 'object' || c === null) fail(`certificates[${i}] is not an object`);
  for (const key of ['fingerprintSha256', 'subject', 'issuer', 'serialNumber', 'notBefore', 'notAfter'] as const) {
    if (typeof c[key] !== 'string') fail(`certificates[${i}].${key} is missing or not a string`);
  }
  if (Number.isNaN(Date.parse(c.notBefore)) || Number.isNaN(Date.parse(c.notAfter))) fail(`certificates[${i}]: notBefore/notAfter are not dates`);
  if (typeof c.lifetimeDays !== 'number') fail(`certificates[${i}].lifetimeDays is missing or not a number`);
  if (!Array.isArray(c.sans) || !Array.isArray(c.sources) || !Array.isArray(c.findings)) fail(`certificates[${i}]: "sans", "sources" and "findings" must be arrays`);
  c.isCA = c.isCA === true;
  c.selfSigned = c.selfSigned === true;
  c.mustStaple = c.mustStaple === true;
  c.hasOcspUrl = c.hasOcspUrl === true;
}
