/**
 * `status NAME...` on the state directory: only the named certificates, in config order, no
 * orphans; an unknown name is a usage error naming the configured ones. Without names, nothing
 * changes (status.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings } from '../../../src/config/renew-options.js';
import { UsageError } from '../../../src/errors.js';
import { collectStatus } from '../../../src/renewal/status.js';
import { CertificateStore } from '../../../src/store/certificate-store.js';
import { tempDir } from '../../helpers/pki.js';

const now = new Date('2026-12-03T12:00:00Z');
const entry = (name: string) => ({ name, domains: [`${name}.example.test`], challenge: { type: 'http-01', webroot: 'webroot' } });

async function settingsFor(dir: string, names: string[]) {
  const config = validateConfig({ stateDir: join(dir, 'state'), acme: { server: 'https://127.0.0.1:14000/dir' }, certificates: names.map(entry) }, 'c.yaml');
  return resolveRenewSettings(config, { cwd: dir, env: {}, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state') });
}

describe('status NAME', () => {
  it('shows the named certificates alone, without orphans; an unknown name is a usage error', async () => {
    const dir = tempDir();
    const settings = await settingsFor(dir, ['www', 'api', 'mail']);
    await new CertificateStore(settings.stateDir).saveState('gone', { schemaVersion: 1 });

    const all = await collectStatus(settings, now, () => undefined);
    expect(all.certificates.map((c) => c.name)).toEqual(['www', 'api', 'mail']);
    expect(all.orphaned.map((o) => o.name)).toEqual(['gone']);

    const named = await collectStatus(settings, now, () => undefined, undefined, ['mail', 'www']);
    expect(named.certificates.map((c) => c.name)).toEqual(['www', 'mail']);
    expect(named.orphaned).toEqual([]);

    const unknown = await collectStatus(settings, now, () => undefined, undefined, ['www', 'nope']).catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(UsageError);
    expect((unknown as Error).message).toBe('unknown certificate name(s): nope (configured: www, api, mail)');
  });
});
