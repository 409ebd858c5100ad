/**
 * An incident across a fleet, against a real PostgreSQL and Pebble, with three hosts (a, b, c),
 * each a long-running `certfleet agent` with its own --root and state directory and its own nginx
 * on its own loopback address (127.0.0.2-4) serving the pair the agent deployed; a fourth host (d)
 * that some spec names but no agent runs on; and a certificate without hosts (the runner's own).
 * - the plan (`replace --serials-from <CA's CSV> --dry-run`) shows the per-host view before
 *   anything is ordered: affected certificates per host, each agent's last report, d never
 *   reported, api deployed by the runner; as JSON a `hosts` array;
 * - a replacement from the CA's CSV: ordered once, deployed and confirmed on all three hosts, each
 *   nginx serving the new serial; the record keeps per-host timings;
 * - one agent down: its part is pending and reported as not reporting, the others finish, exit 1;
 *   the agent back: it deploys the pending version;
 * - an agent SIGKILLed mid-deploy (its deploy command holds between the files switched in and the
 *   reload): the pair on disk matches, the host serves a matching pair throughout, and the agent
 *   started again finishes, so the replacement that was waiting for it completes;
 * - bad input: an unknown serial in the CSV, an unknown certificate name, an agent for a host no
 *   spec names, `hosts: []` and a host name that is not a DNS name: each a clear error (or warning),
 *   nothing ordered, recorded or applied.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseEndpointSpec } from '../../src/inventory/sources/endpoint-spec.js';
import { scanEndpoints } from '../../src/inventory/sources/endpoints.js';
import type { DrillResult } from '../../src/revocation/drill.js';
import type { ReplacementPlan } from '../../src/revocation/plan.js';
import type { RevokeRunResult } from '../../src/revocation/revoke.js';
import { normaliseSerial } from '../../src/revocation/affected.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { runCli } from '../helpers/cli.js';
import { endAll, startCli, waitUntil, type CliProcess } from '../helpers/cli-process.js';
import { freeTcpPort, startNginxWith, type RunningNginx } from '../helpers/nginx.js';
import type { RunningPebble } from '../helpers/pebble.js';
import { keyMatches, serialOf } from '../helpers/postgres-fleet.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { isRunning } from '../helpers/processes.js';
import { queryDatabase, startStoreAndCa, stopStoreAndCa, storeConfig } from '../helpers/store-and-ca.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;
const nginxes = new Map<string, RunningNginx>();

beforeAll(async () => {
  ({ pebble, postgres, dir } = await startStoreAndCa('certfleet-fleet-incident-'));
}, 60_000);

afterAll(async () => {
  endAll();
  for (const n of nginxes.values()) await n.stop();
  await stopStoreAndCa({ pebble, postgres });
});

const HOSTS = ['a', 'b', 'c'] as const;
const ADDRESS: Record<string, string> = { a: '127.0.0.2', b: '127.0.0.3', c: '127.0.0.4' };
// Absolute paths, under each agent's --root: the runner deploys nothing of these itself.
const TLS = { fullchain: '/srv/tls/web-fullchain.pem', key: '/srv/tls/web.key' };

/** Each host's own directory: its --root, its agent's state, its gate and its nginx reload script. */
const hostDir = (host: string) => join(dir, `host-${host}`);
const rootOf = (host: string) => join(hostDir(host), 'root');
const gate = (host: string) => ({ hold: join(hostDir(host), 'hold'), reached: join(hostDir(host), 'reached') });

/**
 * The spec's deploy command, the same on every host: it runs on the host whose agent runs it (its
 * CF_HOST_DIR), after the new files are switched in. It records its pid and waits while the host's
 * `hold` file exists (the window a kill lands in), then reloads the host's nginx once one runs.
 */
function hookScript(): string {
  const path = join(dir, 'deploy-hook');
  writeFileSync(
    path,
    '#!/bin/bash\n' +
      'if [ -e "$CF_HOST_DIR/hold" ]; then echo $$ > "$CF_HOST_DIR/reached.tmp" && mv "$CF_HOST_DIR/reached.tmp" "$CF_HOST_DIR/reached"; fi\n' +
      'while [ -e "$CF_HOST_DIR/hold" ]; do sleep 0.05; done\n' +
      'if [ -x "$CF_HOST_DIR/reload" ]; then exec "$CF_HOST_DIR/reload"; fi\n',
    { mode: 0o755 },
  );
  return path;
}

function writeConfig(): string {
  const home = join(dir, 'fleet');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  const deploy = { ...TLS, createDirectories: true, commands: [[hookScript()]] };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge, hosts: [...HOSTS], deploy }]));
  // On c and on d, where no agent runs: d is the manual tail.
  writeFileSync(join(home, 'certificates.d', 'shop.yaml'), stringify([{ name: 'shop', domains: ['shop.example.test'], challenge, hosts: ['c', 'd'], deploy: { fullchain: '/srv/tls/shop.pem', key: '/srv/tls/shop.key', createDirectories: true } }]));
  // No hosts: the runner deploys it itself.
  writeFileSync(join(home, 'certificates.d', 'api.yaml'), stringify([{ name: 'api', domains: ['api.example.test'], challenge, deploy: { fullchain: join(home, 'tls', 'api.pem'), key: join(home, 'tls', 'api.key'), createDirectories: true } }]));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(storeConfig(pebble, dir, join(home, 'state'))));
  return join(home, 'certfleet.config.yaml');
}

/** The leaf a TLS handshake with the host's nginx shows: its serial and its public key's SHA-256. */
async function served(host: string, port: number): Promise<{ serial: string; spki: string }> {
  const [obs] = await scanEndpoints([parseEndpointSpec(`${ADDRESS[host]}:${port},sni=web.example.test`)], { concurrency: 1, connectTimeoutMs: 3000, handshakeTimeoutMs: 3000 });
  if (!obs?.ok) throw new Error(`nothing answered on ${ADDRESS[host]}:${port}: ${obs && !obs.ok ? obs.error : ''}`);
  const info = parseCertificate(obs.chain[0]!).info;
  return { serial: info.serialNumber, spki: info.publicKeyFingerprintSha256 };
}

/** The pair the host's agent deployed, as it is on disk now. */
function onDisk(host: string): { certPem: string; keyPem: string } {
  return { certPem: readFileSync(join(rootOf(host), TLS.fullchain), 'utf8'), keyPem: readFileSync(join(rootOf(host), TLS.key), 'utf8') };
}

function csv(path: string, serials: string[]): string {
  // The shape of a CA's incident export: a header, the serial first, colons as browsers show them.
  const colons = (s: string) => (s.length % 2 ? `0${s}` : s).match(/../g)!.join(':').toUpperCase();
  writeFileSync(path, ['serial,common_name,not_after', ...serials.map((s) => `${colons(s)},example,2027-01-01`)].join('\n') + '\n');
  return path;
}

describe('an incident across three hosts', () => {
  let database: string;
  let config: string;
  let env: Record<string, string>;
  const agents = new Map<string, CliProcess>();
  const ports = new Map<string, number>();
  const cli = (args: string[], configFile = config) => runCli(['--config', configFile, ...args], { env, timeoutMs: 120_000 });
  const detail = () => [...agents].map(([h, a]) => `--- agent ${h}\n${a.output()}`).join('\n');
  const startAgent = (host: string) => {
    mkdirSync(rootOf(host), { recursive: true });
    agents.set(host, startCli(['--config', config, 'agent', '--host', host, '--root', rootOf(host), '--state-dir', join(hostDir(host), 'state'), '--interval', '1h'], { env: { ...env, CF_HOST_DIR: hostDir(host) } }));
  };
  const current = async (name: string) => {
    const [row] = await queryDatabase<{ id: string; serial: string }>(database, 'SELECT v.id, v.meta->>\'serialNumber\' AS serial FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version WHERE c.name = $1', [name]);
    return { version: row!.id, serial: row!.serial };
  };
  const deployedOn = async (name: string, host: string) => (await queryDatabase<{ version: string; status: string }>(database, 'SELECT version, status FROM deployments WHERE certificate = $1 AND host = $2', [name, host]))[0];
  const waitDeployed = async (name: string, host: string, version: string) =>
    waitUntil(`${name} deployed on ${host} (${version})`, async () => (await deployedOn(name, host))?.version === version && (await deployedOn(name, host))?.status === 'deployed', 30_000, detail);
  /** What nothing may change: versions, records, deployments, specs. */
  const snapshot = async () =>
    JSON.stringify([
      await queryDatabase(database, 'SELECT certificate, id FROM versions ORDER BY 1, 2'),
      await queryDatabase(database, 'SELECT kind, id FROM run_records ORDER BY 1, 2'),
      await queryDatabase(database, 'SELECT certificate, host, version, status FROM deployments ORDER BY 1, 2'),
      await queryDatabase(database, 'SELECT name, spec FROM certificates ORDER BY 1'),
    ]);

  beforeAll(async () => {
    database = await postgres.createDatabase('fleet_incident');
    for (const h of HOSTS) mkdirSync(hostDir(h), { recursive: true });
    config = writeConfig();
    env = { CERTFLEET_TEST_DB: database };
    for (const step of [['store', 'migrate'], ['apply'], ['renew']]) {
      const r = await cli(step);
      expect(r.code, `${step.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    for (const h of HOSTS) startAgent(h);
    const v1 = await current('web');
    for (const h of HOSTS) await waitDeployed('web', h, v1.version);
    await waitDeployed('shop', 'c', (await current('shop')).version);
    // Each host's nginx on its own address, serving what its agent deployed; the deploy hook reloads it from now on.
    for (const h of HOSTS) {
      const port = await freeTcpPort();
      ports.set(h, port);
      const nginx = await startNginxWith(
        `    server {
        listen ${ADDRESS[h]}:${port} ssl;
        server_name web.example.test;
        ssl_certificate ${join(rootOf(h), TLS.fullchain)};
        ssl_certificate_key ${join(rootOf(h), TLS.key)};
        return 200 "${h}\\n";
    }`,
        [port],
        ADDRESS[h],
      );
      nginxes.set(h, nginx);
      writeFileSync(join(hostDir(h), 'reload'), `#!/bin/sh\nexec ${nginx.reloadCommand.map((a) => `'${a}'`).join(' ')}\n`, { mode: 0o755 });
      expect((await served(h, port)).serial).toBe(v1.serial);
    }
  }, 180_000);

  /** What a host's nginx serves once a reload settled (the old worker drains for a moment). */
  const settled = async (host: string, serial: string) => {
    // A handshake during the reload may fail: that is not yet, not a failure. The handshake that
    // showed the serial is the one returned: a second one may still reach a draining old worker.
    let seen: Awaited<ReturnType<typeof served>> | undefined;
    await waitUntil(
      `${host} serves ${serial}`,
      async () => {
        seen = await served(host, ports.get(host)!).catch(() => undefined);
        return seen?.serial === serial;
      },
      10_000,
      detail,
    );
    return seen!;
  };

  it('shows the per-host view before ordering: counts per host, last reports, the manual tail, the runner\'s own', async () => {
    const serials = [(await current('web')).serial, (await current('shop')).serial, (await current('api')).serial];
    const list = csv(join(dir, 'incident-all.csv'), serials);
    const before = await snapshot();
    const json = await cli(['replace', '--serials-from', list, '--dry-run', '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const plan = JSON.parse(json.stdout) as ReplacementPlan;
    expect(plan.certificates.map((c) => c.name).sort()).toEqual(['api', 'shop', 'web']);
    expect(plan.fleet).toEqual({
      hosts: [
        { host: 'a', certificates: 1, agentLastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
        { host: 'b', certificates: 1, agentLastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
        { host: 'c', certificates: 2, agentLastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
        { host: 'd', certificates: 1, agentLastSeen: null },
      ],
      hostsNeverReported: ['d'],
      withoutHosts: { certificates: 1, names: ['api'] },
    });
    const table = await cli(['replace', '--serials-from', list, '--dry-run']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('per host: 4 host(s), 1 whose agent was never heard from');
    expect(table.stdout).toMatch(/^ {2}c: 2 certificate\(s\), agent last heard from \d{4}-/m);
    expect(table.stdout).toMatch(/^ {2}d: 1 certificate\(s\), agent NEVER heard from$/m);
    expect(table.stdout).toMatch(/^no hosts: 1 certificate\(s\) the runner deploys itself: api$/m);
    // revoke's dry run: the same view.
    const revoke = await cli(['revoke', '--serials-from', list, '--dry-run', '--format', 'json']);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((JSON.parse(revoke.stdout) as RevokeRunResult).fleet).toEqual(plan.fleet);
    expect(await snapshot()).toBe(before);
  }, 60_000);

  it('replaces from a CA\'s CSV on all three hosts: each confirms, each nginx serves the new serial, the record has per-host timings', async () => {
    const v1 = await current('web');
    const list = csv(join(dir, 'incident-web.csv'), [v1.serial]);
    const r = await cli(['replace', '--serials-from', list, '--wait', '2m', '--format', 'json']);
    expect(r.code, r.stderr + detail()).toBe(0);
    const v2 = await current('web');
    expect(v2.version).not.toBe(v1.version);
    // The per-host view went to stderr before anything was ordered; stdout is the progress lines, then the result.
    expect(r.stderr).toMatch(/^per host: 3 host\(s\)$/m);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, -1).map((l) => [l.host, l.status, l.version]).sort()).toEqual(HOSTS.map((h) => [h, 'deployed', v2.version]));
    const result = lines.at(-1) as unknown as DrillResult;
    expect(result.summary).toMatchObject({ affected: 1, replaced: 1, failed: 0 });
    expect(result.fleet?.hosts.map((h) => [h.host, h.certificates])).toEqual([['a', 1], ['b', 1], ['c', 1]]);

    const [record] = await queryDatabase<{ body: DrillResult }>(database, "SELECT body FROM run_records WHERE kind = 'replacement' ORDER BY id DESC LIMIT 1");
    const web = record!.body.certificates.find((c) => c.name === 'web')!;
    expect(web.replacedBy?.serialNumber).toBe(v2.serial);
    expect(web.hosts?.map((h) => [h.host, h.status, h.version])).toEqual(HOSTS.map((h) => [h, 'deployed', v2.version]));
    for (const h of web.hosts!) expect(h.seconds).toBeGreaterThan(0);
    expect(web.secondsToReplace).toBe(Math.max(...web.hosts!.map((h) => h.seconds!)));
    for (const h of HOSTS) {
      const pair = onDisk(h);
      expect(normaliseSerial(serialOf(pair.certPem))).toBe(normaliseSerial(v2.serial));
      expect(keyMatches(pair.certPem, pair.keyPem)).toBe(true);
      expect((await settled(h, v2.serial)).serial).toBe(v2.serial);
    }
  }, 120_000);

  it('with one agent down: its part is pending and said so, the others finish, exit 1; back, it deploys the pending version', async () => {
    agents.get('b')!.kill('SIGTERM');
    expect((await agents.get('b')!.exit).code).toBe(0);
    const r = await cli(['replace', 'web', '--wait', '20s', '--format', 'json']);
    expect(r.code, r.stderr + detail()).toBe(1);
    const v3 = await current('web');
    const result = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown).at(-1) as DrillResult;
    expect(result.summary).toMatchObject({ affected: 1, replaced: 0, failed: 1 });
    const web = result.certificates[0]!;
    expect(web.secondsToReplace).toBeNull();
    expect(web.error).toMatch(/not confirmed deployed on every host: b not reporting/);
    expect(web.hosts?.map((h) => [h.host, h.status])).toEqual([
      ['a', 'deployed'],
      ['b', 'not-reporting'],
      ['c', 'deployed'],
    ]);
    for (const h of ['a', 'c']) expect((await settled(h, v3.serial)).serial).toBe(v3.serial);
    expect((await deployedOn('web', 'b'))?.version).not.toBe(v3.version);

    startAgent('b');
    await waitDeployed('web', 'b', v3.version);
    expect((await settled('b', v3.serial)).serial).toBe(v3.serial);
  }, 120_000);

  it('an agent SIGKILLed between the files and the reload: the pair on disk matches, and back it finishes, so the waiting replacement completes', async () => {
    const before = await current('web');
    const g = gate('a');
    writeFileSync(g.hold, '');
    rmSync(g.reached, { force: true });
    const replace = startCli(['--config', config, 'replace', 'web', '--wait', '2m', '--format', 'json'], { env });
    await waitUntil('a\'s deploy command reached', () => existsSync(g.reached), 60_000, () => replace.output() + detail());
    const hook = Number(readFileSync(g.reached, 'utf8').trim());
    const after = await current('web');
    expect(after.version).not.toBe(before.version);

    agents.get('a')!.kill('SIGKILL');
    expect((await agents.get('a')!.exit).signal).toBe('SIGKILL');
    // The deploy command outlived its agent (it runs detached); end it by its pid, and keep the host from going on.
    if (isRunning(hook)) process.kill(hook, 'SIGKILL');
    rmSync(g.hold, { force: true });

    // What a killed agent left: a pair that belongs together (the new one, switched in before the command), and nginx still on the old one.
    const left = onDisk('a');
    expect(normaliseSerial(serialOf(left.certPem))).toBe(normaliseSerial(after.serial));
    expect(keyMatches(left.certPem, left.keyPem)).toBe(true);
    const servedMeanwhile = await served('a', ports.get('a')!);
    expect(servedMeanwhile.serial).toBe(before.serial);
    expect((await deployedOn('web', 'a'))?.version).toBe(before.version);

    // Back: it finishes (or rolls back and deploys again); the replacement that waited for it completes.
    startAgent('a');
    const done = await replace.exit;
    expect(done.code, done.stderr + detail()).toBe(0);
    const result = done.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown).at(-1) as DrillResult;
    expect(result.certificates[0]!.hosts?.every((h) => h.status === 'deployed' && h.version === after.version)).toBe(true);
    await waitDeployed('web', 'a', after.version);
    const pair = onDisk('a');
    expect(normaliseSerial(serialOf(pair.certPem))).toBe(normaliseSerial(after.serial));
    expect(keyMatches(pair.certPem, pair.keyPem)).toBe(true);
    // nginx serves the certificate on disk, with its key (the handshake proves nginx holds the key that certificate certifies).
    const now = await settled('a', after.serial);
    expect(now.spki).toBe(parseCertificate(Buffer.from(pair.certPem.split('-----')[2]!.replace(/\s/g, ''), 'base64')).info.publicKeyFingerprintSha256);
  }, 180_000);

  describe('bad input: a clear error, nothing lost', () => {
    it('a serial in the CA\'s list that is no certificate of ours: exit 2 naming it, nothing ordered', async () => {
      const before = await snapshot();
      const list = csv(join(dir, 'incident-unknown.csv'), [(await current('web')).serial, 'dead0001']);
      const r = await cli(['replace', '--serials-from', list, '--wait', '5s']);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain('1 serial(s) selected match no certificate certfleet manages, current or earlier: DE:AD:00:01');
      expect(r.stderr).toMatch(/nothing was ordered or revoked/);
      const revoke = await cli(['revoke', '--serials-from', list, '--yes', '--wait', '5s']);
      expect(revoke.code, revoke.stdout + revoke.stderr).toBe(2);
      expect(await snapshot()).toBe(before);
    }, 60_000);

    it('an unknown certificate name: exit 2 naming it', async () => {
      const before = await snapshot();
      const r = await cli(['drill', 'web', 'nosuch', '--wait', '5s']);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/unknown certificate name\(s\): nosuch \(configured: /);
      expect(await snapshot()).toBe(before);
    }, 60_000);

    it('an agent for a host no spec names and none ever reported as: a warning, exit 0, nothing recorded', async () => {
      const before = await snapshot();
      mkdirSync(join(dir, 'root-typo'), { recursive: true });
      const r = await cli(['agent', '--once', '--host', 'aa', '--root', join(dir, 'root-typo'), '--state-dir', join(dir, 'state-typo')]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toContain('no certificate is assigned to host aa and no agent has ever reported as aa: check hosts: in the specs');
      const bad = await cli(['agent', '--once', '--host', 'web_1']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--host "web_1" is not a DNS host name');
      expect(await snapshot()).toBe(before);
    }, 60_000);

    it('hosts: [] or a host that is not a DNS name in a spec: a ConfigError naming the certificate, nothing applied', async () => {
      const before = await snapshot();
      for (const [hosts, message] of [
        [[], /certificates\.d\/late\.yaml.*\(late\)\.hosts: name at least one host/s],
        [['a', 'web..2'], /\(late\)\.hosts\[1\]: "web\.\.2" has an empty label/],
      ] as const) {
        const file = join(dir, 'fleet', 'certificates.d', 'late.yaml');
        writeFileSync(file, stringify([{ name: 'late', domains: ['late.example.test'], challenge: { type: 'http-01', standalone: { port: pebble.httpPort } }, hosts, deploy: { fullchain: '/srv/tls/late.pem', key: '/srv/tls/late.key' } }]));
        try {
          for (const command of [['apply'], ['renew'], ['drill', '--dry-run']]) {
            const r = await cli(command);
            expect(r.code, `${command.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
            expect(r.stderr).toMatch(message);
          }
        } finally {
          rmSync(file);
        }
      }
      expect(await snapshot()).toBe(before);
    }, 60_000);
  });

  afterAll(async () => {
    for (const a of agents.values()) a.kill('SIGTERM');
    await Promise.all([...agents.values()].map((a) => a.exit));
  });
});
