/** examples/shared-store is a valid fleet config: the main file and its certificates.d file pass the schema. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { resolveRenewSettings } from '../../../src/config/renew-options.js';

const config = new URL('../../../examples/shared-store/certfleet.config.yaml', import.meta.url).pathname;

describe('examples/shared-store', () => {
  it('loads, names a PostgreSQL store, and its certificates.d file holds a certificate for two hosts', async () => {
    const loaded = await loadConfig('/', config);
    const settings = await resolveRenewSettings(loaded.config, { cwd: '/', env: {}, configFile: loaded.filePath, defaultStateDir: '/var/lib/certfleet', lazyCertificates: true });
    expect(settings.store?.kind).toBe('postgres');
    expect(settings.leaseTtlMs).toBe(300_000);
    expect(settings.specs.files.map((f) => f.split('/').slice(-2).join('/'))).toEqual(['certificates.d/web.yaml']);
    const [www] = await settings.specs.read(settings.specs.files[0]!);
    expect(www?.entry).toMatchObject({ name: 'www', hosts: ['web-1', 'web-2'] });
  });
});
