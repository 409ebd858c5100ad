/**
 * A DNS provider's client as the registry builds it, over recorded exchanges: settings resolved
 * by the registry's own secret resolution from a lego-style environment (so every test that uses
 * it also shows lego's variable names are accepted), then the descriptor's factory.
 */
import type { DnsProviderClient, DnsProviderDescriptor, ProviderConfig } from '../../src/challenges/dns-providers/descriptor.js';
import { resolveProviderSettings } from '../../src/challenges/dns-providers/secrets.js';
import type { Exchange, RecordedApi } from './recorded-api.js';
import { recordedApi, recordedDeps } from './recorded-api.js';

export interface RecordedClient {
  client: DnsProviderClient;
  api: RecordedApi;
  deps: ReturnType<typeof recordedDeps>;
  signal: AbortSignal;
}

export async function recordedClient(
  descriptor: DnsProviderDescriptor,
  env: Readonly<Record<string, string>>,
  exchanges: readonly Exchange[],
  options: { written?: Record<string, unknown>; now?: Date; clockFollowsSleeps?: boolean } = {},
): Promise<RecordedClient> {
  const settings = await resolveProviderSettings(descriptor, options.written ?? {}, env, async (path) => {
    throw new Error(`no file ${path} in this test`);
  }, 'challenge');
  const api = recordedApi(exchanges);
  const deps = recordedDeps(api, options.now, { clockFollowsSleeps: options.clockFollowsSleeps });
  const client = descriptor.create(settings as ProviderConfig<unknown>, deps);
  return { client, api, deps, signal: new AbortController().signal };
}
