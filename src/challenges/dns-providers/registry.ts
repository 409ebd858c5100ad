/**
 * The one table of DNS providers. The config schema (`challenge: { type: dns-01, provider: NAME }`),
 * secret resolution, `certfleet dns providers` and the README's provider table are all derived
 * from it: adding a provider is its file in this folder plus one import and one entry below.
 */
import type { DnsProviderDescriptor } from './descriptor.js';
// ---- provider imports: one line per provider file, alphabetical ----
import { azurednsProvider } from './azuredns.js';
import { cloudflareProvider } from './cloudflare.js';
import { desecProvider } from './desec.js';
import { digitaloceanProvider } from './digitalocean.js';
import { gandiv5Provider } from './gandiv5.js';
import { gcloudProvider } from './gcloud.js';
import { hetznerProvider } from './hetzner.js';
import { linodeProvider } from './linode.js';
import { ovhProvider } from './ovh.js';
import { pdnsProvider } from './pdns.js';
import { route53Provider } from './route53.js';
// ---- end of provider imports ----

/** Every provider, in the order `certfleet dns providers` and the README list them (by name). */
export const dnsProviders: readonly DnsProviderDescriptor[] = [
  // ---- providers: one entry per provider, alphabetical by name ----
  azurednsProvider,
  cloudflareProvider,
  desecProvider,
  digitaloceanProvider,
  gandiv5Provider,
  gcloudProvider,
  hetznerProvider,
  linodeProvider,
  ovhProvider,
  pdnsProvider,
  route53Provider,
  // ---- end of providers ----
].sort((a, b) => a.name.localeCompare(b.name));

/** Names that `provider:` takes without the registry: certfleet's own dns-01 solvers (config.ts). */
export const builtinDnsProviders = ['rfc2136', 'exec'] as const;

/** The descriptor a `provider:` value names (its name or an alias, case-sensitive as lego's), or undefined. */
export function findDnsProvider(name: string): DnsProviderDescriptor | undefined {
  return dnsProviders.find((p) => p.name === name || (p.aliases ?? []).includes(name));
}

/** Every name `provider:` accepts, for messages: the built-in solvers, then each provider's name. */
export function knownProviderNames(): string[] {
  return [...builtinDnsProviders, ...dnsProviders.map((p) => p.name)];
}

/** A registry whose names collide would make `provider:` ambiguous: checked by the unit tests. */
export function duplicateProviderNames(providers: readonly DnsProviderDescriptor[] = dnsProviders): string[] {
  const seen = new Set<string>(builtinDnsProviders);
  const duplicates: string[] = [];
  for (const name of providers.flatMap((p) => [p.name, ...(p.aliases ?? [])])) {
    if (seen.has(name)) duplicates.push(name);
    seen.add(name);
  }
  return duplicates;
}
