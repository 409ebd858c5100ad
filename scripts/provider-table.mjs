#!/usr/bin/env node
// Prints the README's DNS provider table (Markdown) from the built registry, so the README never
// drifts from the code: paste it between <!-- dns-providers:start --> and <!-- dns-providers:end -->.
// test/unit/cli/dns-providers.test.ts fails when the README's copy differs.
// Usage: npm run --silent build && node scripts/provider-table.mjs
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
if (!existsSync(`${dist}challenges/dns-providers/catalog.js`)) {
  process.stderr.write('provider-table: dist/ is missing or old: run `npm run --silent build` first\n');
  process.exit(2);
}
const { providerCatalog } = await import(`${dist}challenges/dns-providers/catalog.js`);
const { providerTableMarkdown } = await import(`${dist}cli/render/dns-providers.js`);
process.stdout.write(providerTableMarkdown(providerCatalog()));
