/**
 * Two refusals every provider client can meet before it sends a write, worded once: no zone of the
 * account holds the name, and a secret the factory needs is missing (the registry's resolution
 * should have refused the config first; this keeps a library caller's slip readable).
 */
import { ConfigError } from '../../errors.js';
import { DnsProviderError } from './http.js';
import { plainName } from './zone-match.js';

/** No zone the credential sees holds `name`: the usual cause is the wrong account or token. */
export function noZoneError(provider: string, name: string, zoneCount: number): DnsProviderError {
  return new DnsProviderError(provider, `finding the zone of ${plainName(name)}: none of the ${zoneCount} zone(s) this credential sees holds it`, {
    hint: 'check that the domain is hosted with this provider and that the credential belongs to the account that holds its zone (or point _acme-challenge there with a CNAME)',
  });
}

/** The secret `key`, or a ConfigError naming its config forms and lego's variables. */
export function requireSecret(provider: string, secrets: Readonly<Record<string, string | undefined>>, key: string, legoEnv: readonly string[]): string {
  const value = secrets[key];
  if (value === undefined || value === '') {
    throw new ConfigError(`dns-01 provider ${provider}: the secret ${key} is missing`, `set ${key}, ${key}Env or ${key}File in the challenge, or ${legoEnv.join(' or ')} in the environment`);
  }
  return value;
}
