/**
 * Each configured certificate's CA and rate limits, and nothing else of it: what `report` needs to
 * say how long replacing the fleet takes at the CAs' limits. Unlike resolveRenewSettings it reads
 * no secret (challenge credentials, EAB keys) and checks no program, so a report runs wherever the
 * config can be read; the CA and limits are resolved by the same rules a run uses
 * (resolveDirectoryUrl, resolveRateLimits, a certificate's acme over the top-level one).
 */
import { dirname } from 'node:path';
import { resolveDirectoryUrl } from '../acme/index.js';
import type { RateLimits } from '../acme/rate-limit-presets.js';
import { ConfigError } from '../errors.js';
import { openSpecSource, type CertificateEntry } from './certificate-files.js';
import { resolveDomainName } from './domain-names.js';
import { resolveRateLimits } from './renew-options.js';
import type { CertfleetConfig } from './schema.js';

export interface CertificateRateLimits {
  name: string;
  /** As a certificate holds them (domain-names.ts); a name renew would refuse is kept as written. */
  domains: string[];
  /** The CA's directory URL. */
  ca: string;
  /** Absent: the CA has no limits configured (none preset, no acme.rateLimits). */
  limits?: RateLimits;
}

/**
 * Every certificate of the config file and certificates.d, in config order; none without a config
 * file. An entry without an ACME server is left out (renew refuses it with its own message).
 */
export async function certificateRateLimits(config: CertfleetConfig, configFile: string | undefined): Promise<CertificateRateLimits[]> {
  if (!configFile) return [];
  const specs = await openSpecSource({
    config,
    configFile,
    baseDir: dirname(configFile),
    resolve: () => Promise.reject(new Error('certificateRateLimits resolves no certificate')),
  });
  const out: CertificateRateLimits[] = [];
  const add = (entries: readonly CertificateEntry[]) => {
    for (const e of entries) {
      const one = ofEntry(e, config.acme);
      if (one) out.push(one);
    }
  };
  add(specs.inline);
  for (const file of specs.files) add(await specs.read(file));
  return out;
}

function ofEntry({ entry, where }: CertificateEntry, globalAcme: CertfleetConfig['acme']): CertificateRateLimits | undefined {
  // As resolveCertificate merges them: the certificate's acme keys over the top-level section's.
  const acme = { ...globalAcme, ...entry.acme };
  const server = acme.server?.trim();
  if (!server) return undefined;
  let ca: string;
  try {
    ca = resolveDirectoryUrl(server);
  } catch (err) {
    throw new ConfigError(`${where}: ${(err as Error).message}`);
  }
  const limits = resolveRateLimits(acme.rateLimits, server, where);
  const domains = entry.domains.map((d) => {
    const resolved = resolveDomainName(d);
    return 'name' in resolved ? resolved.name : d.toLowerCase();
  });
  return { name: entry.name, domains, ca, ...(limits ? { limits } : {}) };
}
