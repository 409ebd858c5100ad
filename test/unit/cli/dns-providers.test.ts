/**
 * `certfleet dns providers` renders the registry's catalog (table, JSON with schemaVersion, the
 * README's Markdown table), and README.md carries exactly the generated table between its markers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { providerCatalog } from '../../../src/challenges/dns-providers/catalog.js';
import { dnsProviders } from '../../../src/challenges/dns-providers/registry.js';
import { providerTableMarkdown, renderDnsProviders } from '../../../src/cli/render/dns-providers.js';
import { repoRoot } from '../../helpers/cli.js';

const START = '<!-- dns-providers:start -->';
const END = '<!-- dns-providers:end -->';

describe('certfleet dns providers', () => {
  it('lists every provider with its aliases, options, secrets (each form and lego variable) and API reference', () => {
    const catalog = providerCatalog();
    expect(catalog.map((e) => e.name)).toEqual(dnsProviders.map((p) => p.name));
    const pdns = catalog.find((e) => e.name === 'pdns');
    expect(pdns).toEqual({
      name: 'pdns',
      aliases: ['powerdns'],
      title: 'PowerDNS Authoritative',
      apiReference: 'https://doc.powerdns.com/authoritative/http-api/zone.html',
      options: [
        { key: 'apiUrl', legoEnv: ['PDNS_API_URL'], description: expect.any(String) as string },
        { key: 'serverName', legoEnv: ['PDNS_SERVER_NAME'], description: expect.any(String) as string },
      ],
      secrets: [{ key: 'apiKey', forms: ['apiKey', 'apiKeyEnv', 'apiKeyFile'], legoEnv: ['PDNS_API_KEY'], optional: false, description: expect.any(String) as string }],
    });
    const table = renderDnsProviders(catalog, 'table').join('');
    expect(table).toContain('pdns (also powerdns): PowerDNS Authoritative\n  apiUrl [PDNS_API_URL]');
    expect(table).toContain('  apiKey | apiKeyEnv | apiKeyFile [PDNS_API_KEY]  ');
    expect(table).toContain(`${catalog.length} providers, plus rfc2136 and exec`);
    const json = JSON.parse(renderDnsProviders(catalog, 'json').join('')) as { schemaVersion: number; providers: unknown[] };
    expect(json.schemaVersion).toBe(1);
    expect(json.providers).toEqual(JSON.parse(JSON.stringify(catalog)));
  });

  it('the Markdown table has one row per provider, with pipes in text escaped', () => {
    const markdown = providerTableMarkdown(providerCatalog());
    const lines = markdown.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + dnsProviders.length);
    expect(lines.find((l) => l.startsWith('| `pdns`'))).toBe(
      '| `pdns`, `powerdns` | PowerDNS Authoritative | `apiUrl` (`PDNS_API_URL`)<br>`serverName` (`PDNS_SERVER_NAME`) | `apiKey` (`PDNS_API_KEY`) | [API](https://doc.powerdns.com/authoritative/http-api/zone.html) |',
    );
    const piped = providerTableMarkdown([{ name: 'x', aliases: [], title: 'A | B', apiReference: 'https://x', options: [], secrets: [] }]);
    expect(piped).toContain('| `x` | A \\| B | - | - | [API](https://x) |');
  });

  it('README.md carries the generated provider table between its markers', () => {
    const readme = readFileSync(`${repoRoot}README.md`, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    const regenerate = `regenerate it with \`npm run --silent build && node scripts/provider-table.mjs\` and paste it between ${START} and ${END}`;
    expect(start >= 0 && end > start, `README.md has no ${START} ... ${END} section: ${regenerate}`).toBe(true);
    const inReadme = readme.slice(start + START.length, end).trim();
    expect(inReadme, `README.md's DNS provider table differs from the registry's: ${regenerate}`).toBe(providerTableMarkdown(providerCatalog()).trim());
  });
});
