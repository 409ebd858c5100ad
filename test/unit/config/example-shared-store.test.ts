/**
 * examples/shared-store is a valid fleet config: the runners' main file and its certificates.d file
 * pass the schema; the agents' agent.yaml holds only the store, its units use it, and the example's
 * spec resolves on it without anything only a runner has (the TSIG secret, the CA).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkedEntry } from '../../../src/config/certificate-files.js';
import { loadConfig } from '../../../src/config/load.js';
import { resolveRenewSettings } from '../../../src/config/renew-options.js';

const example = new URL('../../../examples/shared-store/', import.meta.url).pathname;
const config = `${example}certfleet.config.yaml`;

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

  it("agent.yaml has only the store (no acme, no data key), the agent units use it, and the example's spec resolves on it for an agent only", async () => {
    const agent = await loadConfig('/', `${example}agent.yaml`);
    expect(Object.keys(agent.config).sort()).toEqual(['stateDir', 'store']);
    expect(Object.keys(agent.config.store ?? {})).toEqual(['postgres']);
    for (const unit of ['certfleet-agent.service', 'certfleet-agent-service.service']) {
      expect(readFileSync(`${example}${unit}`, 'utf8'), unit).toMatch(/^ExecStart=\S+ --config \/etc\/certfleet\/agent\.yaml (--quiet )?agent/m);
    }
    // The spec as apply stores it from the runners' files; its TSIG secret file is a runner's (not on this machine).
    const runner = await loadConfig('/', config);
    const runnerSettings = await resolveRenewSettings(runner.config, { cwd: '/', env: {}, configFile: runner.filePath, defaultStateDir: '/var/lib/certfleet', lazyCertificates: true });
    const [www] = await runnerSettings.specs.read(runnerSettings.specs.files[0]!);
    const spec = checkedEntry({ entry: www!.written, baseDir: www!.baseDir, where: www!.where, file: www!.file });
    const env = { PATH: '/usr/bin:/bin' };
    await expect(runnerSettings.specs.resolve(spec)).rejects.toThrow(/tsig\.secret.*\/etc\/certfleet\/tsig\.secret/);
    const settings = await resolveRenewSettings(agent.config, { cwd: '/', env, configFile: agent.filePath, defaultStateDir: '/var/lib/certfleet', lazyCertificates: true, role: 'agent' });
    const resolved = await settings.specs.resolve(spec);
    expect(resolved.deploy?.targets).toMatchObject({ fullchain: '/etc/nginx/tls/www.pem', key: '/etc/nginx/tls/www.key' });
    expect(resolved.hosts).toEqual(['web-1', 'web-2']);
  });
});
