/**
 * What `certfleet apply` hands the store: each entry as written (so any runner checks it again with
 * its own schema and applies the defaults itself), never a parsed entry that would not parse again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkedEntry, openSpecSource } from '../../../src/config/certificate-files.js';
import { validateConfig } from '../../../src/config/load.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import { applySpecs } from '../../../src/renewal/apply-specs.js';
import type { SpecRecords, StoredSpec } from '../../../src/store/ports.js';
import { tempDir } from '../../helpers/pki.js';
import { failure } from '../../helpers/failure.js';

/** A store that keeps what apply gives it, as a database would: through JSON. */
function recordingStore(): { records: SpecRecords; stored: StoredSpec[] } {
  const stored: StoredSpec[] = [];
  const records = {
    apply: async (batches: AsyncIterable<readonly StoredSpec[]>) => {
      for await (const batch of batches) stored.push(...(JSON.parse(JSON.stringify(batch)) as StoredSpec[]));
      return { added: stored.map((s) => s.name), changed: [], archived: [], unchanged: 0 };
    },
  } as unknown as SpecRecords;
  return { records, stored };
}

async function source(written: object, files: Record<string, unknown>) {
  const dir = tempDir('certfleet-apply-specs-');
  mkdirSync(join(dir, 'certificates.d'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, 'certificates.d', name), stringify(content));
  const configFile = join(dir, 'certfleet.config.yaml');
  const config = validateConfig(written, configFile);
  const certificates = (written as { certificates?: unknown[] }).certificates;
  return openSpecSource({ config, configFile, baseDir: dir, ...(certificates ? { writtenCertificates: certificates } : {}), resolve: () => Promise.reject(new Error('not resolved here')) });
}

const dns01 = { type: 'dns-01', provider: 'exec', command: ['/bin/sh', 'hook.sh'] };

describe('applySpecs', () => {
  it('stores entries as written; each checks again after the trip through the store, with the defaults applied by the reader', async () => {
    const inline = { name: 'inline', domains: ['a.example.test'], challenge: dns01 };
    const specs = await source({ certificates: [inline] }, { 'web.yaml': [{ name: 'web', domains: ['w.example.test'], challenge: { ...dns01, propagationTimeout: '5m' } }] });
    const { records, stored } = recordingStore();
    await applySpecs({ specs, policy: defaultRenewalPolicy }, records, { dryRun: false, appliedBy: 'test' });
    expect(stored.map((s) => s.entry)).toEqual([inline, { name: 'web', domains: ['w.example.test'], challenge: { ...dns01, propagationTimeout: '5m' } }]);
    const checked = stored.map((s) => checkedEntry(s).entry.challenge);
    expect(checked).toMatchObject([
      { type: 'dns-01', timeout: 60_000, propagationTimeout: 120_000 },
      { type: 'dns-01', timeout: 60_000, propagationTimeout: 300_000 },
    ]);
  });

  it('stores hosts in lower case, as agents and row-level security ask for them, and the rest as written', async () => {
    const http01 = { type: 'http-01', webroot: '/var/www' };
    const web = { name: 'web', domains: ['w.example.test'], challenge: http01, hosts: ['Web-1', 'EDGE.dc1'], deploy: { cert: '/c.pem', key: '/k.pem' } };
    const lower = { name: 'api', hosts: ['api-1'], domains: ['a.example.test'], challenge: http01, deploy: { cert: '/c.pem', key: '/k.pem' } };
    const specs = await source({}, { 'web.yaml': [web, lower] });
    const { records, stored } = recordingStore();
    await applySpecs({ specs, policy: defaultRenewalPolicy }, records, { dryRun: false, appliedBy: 'test' });
    expect(stored.map((s) => s.entry)).toEqual([{ ...web, hosts: ['web-1', 'edge.dc1'] }, lower]);
    // The keys keep their written order: a spec already in lower case hashes as it did before.
    expect(Object.keys(stored[0]!.entry)).toEqual(Object.keys(web));
    expect(JSON.stringify(stored[1]!.entry)).toBe(JSON.stringify(lower));
  });

  it('refuses an inline secret, naming the certificate and the way to name it instead', async () => {
    const tsig = { type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53', tsig: { name: 'k', secret: 'c2VjcmV0' } };
    const specs = await source({}, { 'a.yaml': [{ name: 's1', domains: ['s.example.test'], challenge: tsig }] });
    const err = await failure(applySpecs({ specs, policy: defaultRenewalPolicy }, recordingStore().records, { dryRun: false, appliedBy: 'test' }));
    expect(err.message).toMatch(/^certificates\.d\/a\.yaml: certificates\[0\] \(s1\): challenge\.tsig\.secret \(use secretEnv or secretFile\)/);
    expect(err.message).not.toContain('c2VjcmV0');
  });
});
