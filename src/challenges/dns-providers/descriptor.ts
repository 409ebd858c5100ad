/**
 * A DNS provider is one descriptor (lego's providers are the model): its name, its options, its
 * secrets and a factory for a small API client that adds and deletes one TXT record. Everything
 * else — the config schema, secret resolution (`x | xEnv | xFile`, then lego's environment
 * variables), the wait for the authoritative servers, cleanup after a failure, the README's table
 * and `certfleet dns providers` — is derived from the descriptors in registry.ts, so adding a
 * provider is one file in this folder and one line in that table.
 */
import type { z } from 'zod';
import type { Logger } from '../../logger.js';

/** A zone as the provider's API names it. `name` is absolute without the trailing dot ("example.com"). */
export interface ProviderZone {
  id: string;
  name: string;
}

/** One TXT record to add: `name` is absolute without the trailing dot ("_acme-challenge.www.example.com"). */
export interface TxtRecordRequest {
  zone: ProviderZone;
  name: string;
  value: string;
  ttl: number;
}

/** What create returned, kept until cleanup: whatever the API needs to delete exactly that value (`id`). */
export interface PlacedTxtRecord extends TxtRecordRequest {
  id?: string;
}

/**
 * The provider's API as certfleet uses it. Each call throws DnsProviderError (http.ts) on a
 * refusal, naming the provider, the zone, the record and the HTTP status. Another value at the
 * same name (the wildcard's, another runner's) must survive both create and delete.
 */
export interface DnsProviderClient {
  /** The zone that holds `name`, as this credential sees it: the longest zone that is a suffix of it. */
  findZone(name: string, signal: AbortSignal): Promise<ProviderZone>;
  createTxt(record: TxtRecordRequest, signal: AbortSignal): Promise<PlacedTxtRecord>;
  deleteTxt(record: PlacedTxtRecord, signal: AbortSignal): Promise<void>;
}

/**
 * One secret option: the config takes exactly one of `<key>`, `<key>Env` or `<key>File`; with
 * none, the first of `legoEnv` that is set (so a lego user's environment works as it is).
 */
export interface SecretOption {
  key: string;
  /** lego's environment variable names for it, preferred first (e.g. CLOUDFLARE_DNS_API_TOKEN, CF_DNS_API_TOKEN). */
  legoEnv: readonly string[];
  /** Optional secrets are those a provider can do without (e.g. an alternative credential). */
  optional?: boolean;
  description: string;
}

/** One plain option; with `legoEnv` its value may also come from lego's environment variable. */
export interface PlainOption {
  key: string;
  legoEnv?: readonly string[];
  description: string;
}

export interface ProviderDeps {
  /** Every HTTP request goes through this (tests pass a recorder; the CLI passes global fetch). */
  fetch: typeof fetch;
  now(): Date;
  /** A sleep that rejects when the signal aborts (Retry-After waits). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  logger?: Logger;
}

/** The config a factory gets: plain options parsed by `options`, secrets already read (never logged). */
export interface ProviderConfig<Options> {
  options: Options;
  secrets: Readonly<Record<string, string | undefined>>;
}

export interface DnsProviderDescriptor<Schema extends z.ZodTypeAny = z.ZodTypeAny> {
  /** lego's name for it ("cloudflare", "route53", "pdns"), what `provider:` takes. */
  name: string;
  /** Other names accepted for `provider:` (e.g. "powerdns"). */
  aliases?: readonly string[];
  /** As people write it: "Cloudflare", "Amazon Route 53". */
  title: string;
  /** The API reference the client and its recorded tests follow. */
  apiReference: string;
  /** The plain options (a zod object of its own keys; defaults applied here). */
  options: Schema;
  /** Plain options for the docs table and lego's environment fallback (keys of `options`). */
  plainOptions: readonly PlainOption[];
  secrets: readonly SecretOption[];
  /** When the secrets are mutually alternative (e.g. token or key+email): true if this set is enough. */
  secretsSufficient?(secrets: Readonly<Record<string, string | undefined>>): boolean;
  /** The recommended TTL is 60 s unless the provider has a floor (e.g. 120 for Linode, 300 for some). */
  minimumTtl?: number;
  create(config: ProviderConfig<z.output<Schema>>, deps: ProviderDeps): DnsProviderClient;
}

/** Keeps a descriptor's option type attached to its factory (a plain object literal would widen it). */
export function defineProvider<Schema extends z.ZodTypeAny>(descriptor: DnsProviderDescriptor<Schema>): DnsProviderDescriptor<Schema> {
  return descriptor;
}
