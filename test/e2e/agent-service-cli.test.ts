/**
 * `certfleet agent` as a service (no --once) against a real PostgreSQL and Pebble: started for host
 * a (its own --root and state directory), it deploys the current version at start; a runner's
 * `renew --force` orders a new one and the agent deploys it within seconds although its safety
 * pass is an hour away (the notification woke it); PostgreSQL restarts, the agent reconnects and
 * deploys the next version too; /metrics answers and passes promtool; SIGTERM ends it with 0.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';
import { startCli, waitUntil } from '../helpers/cli-process.js';
import type { RunningPebble } from '../helpers/pebble.js';
import { freeTcpPort } from '../helpers/ports.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-agent-service-', (parts) => ({ pebble, postgres, dir } = parts));

const deploy = { cert: '/srv/tls/web.pem', fullchain: '/srv/tls/web-fullchain.pem', key: '/srv/tls/web.key', createDirectories: true };

function configDir(): string {
  const home = join(dir, 'fleet');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge, hosts: ['a', 'b'], deploy }]));
  const config = storeConfig(pebble, dir, join(home, 'state'));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  return join(home, 'certfleet.config.yaml');
}

const query = queryDatabase;

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('certfleet agent (long-running)', () => {
  it('deploys on notification, reconnects after a PostgreSQL restart, serves /metrics, and exits 0 on SIGTERM', async () => {
    const database = await postgres.createDatabase('agent_service');
    const config = configDir();
    const env = { CERTFLEET_TEST_DB: database };
    const cli = (args: string[]) => runCli(['--config', config, ...args], { env, timeoutMs: 60_000 });
    expect((await cli(['store', 'migrate'])).code).toBe(0);
    expect((await cli(['apply'])).code).toBe(0);

    const order = async (force: boolean): Promise<{ version: string; serial: string }> => {
      const r = await cli(['renew', ...(force ? ['--force'] : []), '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates.find((c) => c.name === 'web')!;
      expect(outcome.action).toBe('renewed');
      const [row] = await query<{ current_version: string }>(database, "SELECT current_version FROM certificates WHERE name = 'web'");
      return { version: row!.current_version, serial: outcome.serialNumber! };
    };
    const deployedOnA = async () => (await query<{ version: string; status: string }>(database, "SELECT version, status FROM deployments WHERE host = 'a' AND certificate = 'web'"))[0];
    const root = join(dir, 'root-a');
    mkdirSync(root, { recursive: true });
    const served = () => {
      const cert = new X509Certificate(readFileSync(join(root, 'srv/tls/web.pem')));
      expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(root, 'srv/tls/web.key'))))).toBe(true);
      return cert.serialNumber.toLowerCase().replace(/^0+/, '');
    };
    const serialOf = (s: string) => s.toLowerCase().replace(/^0+/, '');

    const v1 = await order(false);
    const port = await freeTcpPort();
    const agent = startCli(['--config', config, 'agent', '--host', 'a', '--root', root, '--state-dir', join(dir, 'state-a'), '--interval', '1h', '--metrics-listen', String(port)], { env });
    const detail = () => agent.output();
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };

    // The pass at start deploys the current version.
    await waitUntil('the start pass deployed v1', async () => (await deployedOnA())?.version === v1.version, 30_000, detail);
    expect(serialOf(served())).toBe(serialOf(v1.serial));

    // A new version: the agent is woken by the store, not by its hourly safety pass.
    const v2 = await order(true);
    await waitUntil('the notification made the agent deploy v2', async () => (await deployedOnA())?.version === v2.version, 15_000, detail);
    expect(await deployedOnA()).toEqual({ version: v2.version, status: 'deployed' });
    expect(serialOf(served())).toBe(serialOf(v2.serial));

    const metrics = await scrape();
    const check = promtool(metrics);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    expect(metrics).toContain('certfleet_agent_certificate_deployed{host="a",name="web"} 1\n');
    expect(metrics).toContain('certfleet_agent_store_connected{host="a"} 1\n');
    expect(metrics).toMatch(/^certfleet_agent_certificate_expiration_timestamp_seconds\{host="a",name="web"\} \d{10}$/m);
    const notAfter = Number(/certfleet_agent_certificate_expiration_timestamp_seconds\{[^}]*\} (\d+)/.exec(metrics)![1]);
    expect(notAfter).toBe(Math.round(Date.parse(new X509Certificate(readFileSync(join(root, 'srv/tls/web.pem'))).validTo) / 1000));
    expect(Number(/^certfleet_agent_passes\{host="a"\} (\d+)$/m.exec(metrics)![1])).toBeGreaterThanOrEqual(2);

    // PostgreSQL restarts: the agent says so once, reconnects by itself, and deploys the next version too.
    await postgres.restart('fast');
    await waitUntil('the agent reconnected', () => /LISTEN connection .* is back/.test(agent.output()), 30_000, detail);
    const v3 = await order(true);
    await waitUntil('the agent deployed v3 after the restart', async () => (await deployedOnA())?.version === v3.version, 15_000, detail);
    expect(serialOf(served())).toBe(serialOf(v3.serial));
    expect(agent.output().match(/lost the LISTEN connection/g)).toHaveLength(1);
    expect(await scrape()).toContain('certfleet_agent_store_connected{host="a"} 1\n');

    agent.kill('SIGTERM');
    const exit = await agent.exit;
    expect(exit.signal, exit.stderr).toBeNull();
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toMatch(/SIGTERM: stopping after the deployment under way/);
  }, 180_000);
});
