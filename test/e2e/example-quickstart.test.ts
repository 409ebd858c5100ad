/**
 * The README's quick start (`npm run example` = scripts/example.sh) end to end: a real Pebble, the
 * real CLI, every step announced with its explaining line, the certificates issued and deployed,
 * a second renew that does nothing, a drill of one certificate, the report, and every process it
 * started gone afterwards, also when it is interrupted. Output goes to a temp dir (--out), so the
 * test never touches examples/quickstart/out/.
 */
import { spawn, execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/pki.js';

interface ExampleRun {
  pid: number;
  stdout: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

const running: ExampleRun[] = [];
const dirs: string[] = [];

/** A temp directory removed after the test (the example writes keys into it). */
function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}

function runExample(args: string[]): ExampleRun {
  // scripts/example.sh execs node, so this PID is the example's own process.
  const child = spawn('bash', [join(repoRoot, 'scripts', 'example.sh'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const run: ExampleRun = {
    pid: child.pid!,
    stdout: () => stdout,
    done: new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr }))),
    kill: (signal) => child.kill(signal),
  };
  running.push(run);
  return run;
}

afterEach(async () => {
  // A failed assertion must not leave the example running (it stops its own children on exit).
  for (const run of running.splice(0)) {
    run.kill('SIGTERM');
    await run.done;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The PIDs step 1 reports for Pebble and pebble-challtestsrv. */
function startedPids(stdout: string): number[] {
  return [...stdout.matchAll(/^ {4}(pebble|pebble-challtestsrv) \(pid (\d+)\)$/gm)].map((m) => Number(m[2]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The output of step n: from its header to the next one. */
function section(stdout: string, n: number): string {
  const start = stdout.indexOf(`==> ${n}/7 `);
  const next = stdout.indexOf(`==> ${n + 1}/7 `);
  return stdout.slice(start, next === -1 ? undefined : next);
}

const pemBlocks = (text: string, type: RegExp) => [...text.matchAll(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g)].filter((m) => type.test(m[1]!)).map((m) => m[0]);

/** The leaf certificate in `certFile` and whether the key in `keyFile` is its key. */
function deployedPair(certFile: string, keyFile: string): { names: string; keyMatches: boolean; serial: string } {
  const leaf = new X509Certificate(pemBlocks(readFileSync(certFile, 'utf8'), /^CERTIFICATE$/)[0]!);
  const key = createPrivateKey(pemBlocks(readFileSync(keyFile, 'utf8'), /PRIVATE KEY$/)[0]!);
  const publicDer = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' }).toString('hex');
  return { names: leaf.subjectAltName ?? '', keyMatches: publicDer(createPublicKey(key)) === publicDer(leaf.publicKey), serial: leaf.serialNumber };
}

describe('npm run example: the quick start', () => {
  it('runs the whole lifecycle against a local Pebble, explains each step, and stops everything it started', async () => {
    const out = join(scratch('certfleet-example-'), 'out');
    const result = await runExample(['--out', out]).done;
    expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
    const stdout = result.stdout;

    // Seven steps, in order, each with its one explaining line under the header.
    const titles = ['start a local ACME CA', 'renew: ', 'renew again: nothing is due', 'status: ', 'drill www: ', 'report: ', 'stop the local CA'];
    let last = -1;
    titles.forEach((title, i) => {
      const at = stdout.indexOf(`==> ${i + 1}/7 ${title}`);
      expect(at, `step ${i + 1} "${title}" missing or out of order:\n${stdout}`).toBeGreaterThan(last);
      last = at;
      const explanation = stdout.slice(at).split('\n')[1]!;
      expect(explanation).toMatch(/^ {4}\S.{20,}$/);
    });

    // The run's config keeps every file in the run's directory (none in examples/quickstart/out/).
    const { config: runConfig } = await loadConfig('/', join(out, 'certfleet.config.yaml'));
    const files = [runConfig.stateDir, runConfig.acme?.caBundle, ...(runConfig.inventory?.paths ?? [])];
    for (const c of runConfig.certificates ?? []) files.push(...[c.deploy?.cert, c.deploy?.chain, c.deploy?.fullchain, c.deploy?.key, c.deploy?.combined]);
    for (const file of files.filter((f) => f !== undefined)) expect(resolve(out, file!).startsWith(`${out}/`), file).toBe(true);

    // Step 2: each certificate deployed into the example's tree, in its layout, with its own key.
    const deployed = join(out, 'deployed');
    const www = deployedPair(join(deployed, 'nginx/www.fullchain.pem'), join(deployed, 'nginx/www.key'));
    expect(www).toMatchObject({ keyMatches: true });
    expect(www.names).toContain('DNS:www.example.test');
    expect(www.names).toContain('DNS:example.test');
    expect(deployedPair(join(deployed, 'ssl/certs/api.pem'), join(deployed, 'ssl/private/api.key'))).toMatchObject({ names: 'DNS:api.example.test', keyMatches: true });
    expect(deployedPair(join(deployed, 'haproxy/shop.pem'), join(deployed, 'haproxy/shop.pem'))).toMatchObject({ names: 'DNS:shop.example.test', keyMatches: true });
    expect(section(stdout, 2)).toContain('nginx/www.fullchain.pem -> .certfleet-www/');

    // Step 3: the second renew did nothing: the script checked Pebble saw no request and no link moved.
    const second = section(stdout, 3);
    expect(second).toContain('checked: no request reached the CA, and every deployed certificate is still the one from step 2');
    for (const name of ['www', 'api', 'shop']) expect(second).toMatch(new RegExp(`^${name}\\b.*not[ -]due`, 'm'));

    // Each certificate was ordered once, except www, which the drill (step 5) replaced once more.
    const versions = (name: string) => readdirSync(join(out, 'state', 'certificates', name, 'versions')).length;
    expect({ www: versions('www'), api: versions('api'), shop: versions('shop') }).toEqual({ www: 2, api: 1, shop: 1 });
    expect(existsSync(join(out, 'state', 'drills', 'latest.json'))).toBe(true);
    expect(section(stdout, 4)).toMatch(/^shop\b/m);
    expect(section(stdout, 6).split('\n').length).toBeGreaterThan(5);

    // Step 7: Pebble and pebble-challtestsrv were started, reported, and are gone.
    const pids = startedPids(section(stdout, 1));
    expect(pids).toHaveLength(2);
    expect(pids.filter(alive)).toEqual([]);
    expect(stdout).toMatch(/Quick start done in \d+\.\d s\./);
  }, 120_000);

  it('on Ctrl-C (SIGINT) stops every process it started and exits 130', async () => {
    const out = join(scratch('certfleet-example-'), 'out');
    const run = runExample(['--out', out]);
    // Interrupt once Pebble is up and the first renew has begun.
    while (!run.stdout().includes('==> 2/7 ')) {
      const early = await Promise.race([run.done, new Promise((resolve) => setTimeout(resolve, 20))]);
      if (early) throw new Error(`the example ended before step 2: ${JSON.stringify(early)}`);
    }
    const pids = startedPids(run.stdout());
    expect(pids).toHaveLength(2);
    run.kill('SIGINT');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping what the example started');
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it('refuses an --out directory it did not make, and leaves it alone', async () => {
    const out = scratch('certfleet-example-foreign-');
    writeFileSync(join(out, 'precious.txt'), 'not yours');
    const result = await runExample(['--out', out]).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exists and was not made by the example');
    expect(readFileSync(join(out, 'precious.txt'), 'utf8')).toBe('not yours');
  });

  it('ships a config a user can start from: valid, with the CA and ports the example replaces', async () => {
    const { config } = await loadConfig('/', join(repoRoot, 'examples', 'quickstart', 'certfleet.config.yaml'));
    expect(config.certificates?.map((c) => c.name)).toEqual(['www', 'api', 'shop']);
    expect(config.acme?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dir$/);
  });

  it('keeps the example output, keys included, out of git', () => {
    // git check-ignore only reads: exit 0 means ignored.
    expect(() => execFileSync('git', ['check-ignore', '-q', 'examples/quickstart/out/deployed/nginx/www.key'], { cwd: repoRoot })).not.toThrow();
  });
});
