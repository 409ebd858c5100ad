/**
 * `renew` when the machine itself misbehaves, against a real Pebble: a state directory on a full
 * disk (a real tmpfs filled to the brim), a state file of the wrong type, and a first deployment
 * that fails where nothing was deployed before. Each must say what and where, keep the other
 * certificates going, and leave nothing half-written or misleading behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pebble: RunningPebble;
let dir: string;
const asRoot = process.getuid?.() === 0;

function config(stateDir: string, certificates: object[]): string {
  const path = join(dir, `config-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(
    path,
    stringify({
      stateDir,
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates,
    }),
  );
  return path;
}

const certificate = (name: string, deploy: object = { fullchain: join(dir, 'tls', `${name}.pem`), key: join(dir, 'tls', `${name}.key`) }) => ({
  name,
  domains: [`${name}.example.test`],
  challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
  deploy,
});

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-renew-faults-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  mkdirSync(join(dir, 'tls'));
  mkdirSync(join(dir, 'first'));
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

describe.runIf(asRoot)('a full disk under the state directory (tmpfs, as root)', () => {
  let mount: string;
  beforeAll(() => {
    mount = join(dir, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mount]);
  });
  afterAll(() => {
    if (mount) execFileSync('umount', [mount]);
  });

  it('fails each certificate on its own, names the file, keeps what is deployed, and leaves no lock file', async () => {
    const cfg = config(join(mount, 'state'), [certificate('one'), certificate('two')]);
    const first = await runCli(['--config', cfg, 'renew', '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const deployed = readFileSync(join(dir, 'tls', 'one.pem'), 'utf8');

    // Fill the disk to the brim.
    try {
      writeFileSync(join(mount, 'filler'), Buffer.alloc(1024 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }

    const r = await runCli(['--config', cfg, 'renew', '--force', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout) as RenewRunResult; // one JSON document, even now
    expect(result.certificates.map((c) => c.action)).toEqual(['failed', 'failed']);
    for (const c of result.certificates) expect(c.error).toMatch(new RegExp(`cannot write ${join(mount, 'state')}/.*ENOSPC|ENOSPC.*${join(mount, 'state')}`));
    expect(result.problems).toEqual([expect.stringMatching(/run summary .* not written: .*managed\.json/)]);
    expect(readFileSync(join(dir, 'tls', 'one.pem'), 'utf8')).toBe(deployed);
    expect(existsSync(join(mount, 'state', '.lock'))).toBe(false);
    // No temp files left behind beside what could not be written.
    const leftovers = execFileSync('find', [join(mount, 'state'), '-name', '*.tmp'], { encoding: 'utf8' }).trim();
    expect(leftovers).toBe('');
  }, 90_000);
});

describe('messages that say what happened', () => {
  it('names what is wrong in a state file of the wrong type', async () => {
    const stateDir = join(dir, 'state-wrong-type');
    mkdirSync(join(stateDir, 'certificates', 'www'), { recursive: true });
    writeFileSync(join(stateDir, 'certificates', 'www', 'state.json'), '[]\n');
    const r = await runCli(['--config', config(stateDir, [certificate('www')]), 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/state\.json is unreadable \(\(top level\): .*expected object, received array\)/);
    expect(r.stderr).not.toMatch(/unreadable \(\[/);
  });

  it('does not claim to put back a previous certificate when nothing was deployed before', async () => {
    const stateDir = join(dir, 'state-first');
    const deploy = { fullchain: join(dir, 'first', 'f.pem'), key: join(dir, 'first', 'k.pem'), commands: [['false']] };
    const r = await runCli(['--config', config(stateDir, [certificate('first', deploy)]), 'renew', '--format', 'json']);
    expect(r.code).toBe(1);
    const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates[0]!;
    expect(outcome.error).toMatch(/nothing was at the deploy paths before, so the new files stay in place/);
    expect(r.stderr).not.toMatch(/putting back/);
    expect(readdirSync(join(dir, 'first')).sort()).toEqual(['.certfleet-first', 'f.pem', 'k.pem']);
  });
});
