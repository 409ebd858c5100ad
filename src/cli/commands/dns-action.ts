/** `certfleet dns providers`: the registry's catalog, rendered. */
import { providerCatalog } from '../../challenges/dns-providers/catalog.js';
import { ExitCode } from '../../errors.js';
import { writeOutput } from '../output.js';
import { renderDnsProviders } from '../render/dns-providers.js';

export async function runDnsProvidersCommand(flags: Record<string, unknown>): Promise<number> {
  const format = (flags.format as 'table' | 'json' | 'markdown' | undefined) ?? 'table';
  await writeOutput(renderDnsProviders(providerCatalog(), format), undefined);
  return ExitCode.ok;
}
