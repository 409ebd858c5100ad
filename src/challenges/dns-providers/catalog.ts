/**
 * The registry as data for people: each provider's names, options and secrets with the config keys
 * and lego's variables that set them. `certfleet dns providers` and the README's provider table
 * (scripts/provider-table.mjs) render this; neither reads the descriptors themselves.
 */
import { dnsProviders } from './registry.js';
import { secretKeys } from './secrets.js';

export interface CatalogOption {
  key: string;
  legoEnv: string[];
  description: string;
}

export interface CatalogSecret extends CatalogOption {
  /** The config keys that take it: `key`, `keyEnv`, `keyFile`. */
  forms: string[];
  optional: boolean;
}

export interface CatalogEntry {
  name: string;
  aliases: string[];
  title: string;
  apiReference: string;
  options: CatalogOption[];
  secrets: CatalogSecret[];
}

export function providerCatalog(): CatalogEntry[] {
  return dnsProviders.map((p) => ({
    name: p.name,
    aliases: [...(p.aliases ?? [])],
    title: p.title,
    apiReference: p.apiReference,
    options: p.plainOptions.map((o) => ({ key: o.key, legoEnv: [...(o.legoEnv ?? [])], description: o.description })),
    secrets: p.secrets.map((s) => ({ key: s.key, forms: secretKeys(s.key), legoEnv: [...s.legoEnv], optional: s.optional ?? false, description: s.description })),
  }));
}
