/** `certfleet dns providers` through the built binary: the table, one JSON document, and the README's Markdown table. */
import { describe, expect, it } from 'vitest';
import { providerCatalog } from '../../src/challenges/dns-providers/catalog.js';
import { providerTableMarkdown } from '../../src/cli/render/dns-providers.js';
import { runCli } from '../helpers/cli.js';

describe('certfleet dns providers', () => {
  it('prints every provider with its lego variables, as a table, JSON or Markdown, exit 0', async () => {
    const table = await runCli(['dns', 'providers']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('pdns (also powerdns): PowerDNS Authoritative');
    expect(table.stdout).toContain('apiKey | apiKeyEnv | apiKeyFile [PDNS_API_KEY]');
    const json = await runCli(['dns', 'providers', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { schemaVersion: number; providers: { name: string }[] };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.providers.map((p) => p.name)).toEqual(providerCatalog().map((p) => p.name));
    const markdown = await runCli(['dns', 'providers', '--format', 'markdown']);
    expect(markdown.stdout).toBe(providerTableMarkdown(providerCatalog()));
    const bad = await runCli(['dns', 'providers', '--format', 'xml']);
    expect(bad.code).toBe(2);
  });
});
