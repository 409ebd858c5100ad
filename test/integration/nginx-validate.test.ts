/**
 * The example fleet's nginx config against the real nginx: `nginx -t` must accept it, and the
 * files our reader says nginx serves must be exactly the files nginx needs (each one, moved away,
 * breaks `nginx -t`; everything else, moved away, does not). nginx -T must have read the same
 * config files as our reader.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNginxConfig } from '../../src/inventory/sources/proxies/nginx.js';
import type { ProxyConfigResult } from '../../src/inventory/sources/proxy-types.js';
import { tempDir } from '../helpers/pki.js';

const repo = resolve(import.meta.dirname, '..', '..');

function findNginx(): string {
  const candidates = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nginx'))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('nginx not installed: run npm test, which installs it');
  return found;
}

interface Fleet {
  nginx: string;
  conf: string;
  generated: string;
  prefix: string;
}

/** Run nginx with its pid file, logs and prefix inside the test's temp dir. */
function runNginx(fleet: Fleet, flag: '-t' | '-T'): { status: number | null; output: string } {
  const result = spawnSync(
    fleet.nginx,
    [flag, '-p', `${fleet.prefix}/`, '-e', join(fleet.prefix, 'error.log'), '-c', fleet.conf, '-g', `pid ${fleet.prefix}/nginx.pid; error_log ${fleet.prefix}/error.log;`],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

function withMovedAway<T>(files: string[], body: () => T): T {
  for (const file of files) renameSync(file, `${file}.moved-away`);
  try {
    return body();
  } finally {
    for (const file of files) renameSync(`${file}.moved-away`, file);
  }
}

describe('example fleet nginx config, checked by the real nginx', () => {
  let fleet: Fleet;
  let read: ProxyConfigResult;

  beforeAll(async () => {
    const nginx = findNginx();
    const dir = tempDir('certfleet-nginx-');
    cpSync(join(repo, 'examples', 'fleet', 'etc'), join(dir, 'fleet', 'etc'), { recursive: true });
    const generated = join(dir, 'fleet', 'generated');
    execFileSync(process.execPath, [join(repo, 'examples', 'generate-fleet.mjs'), '--out', generated], { stdio: 'pipe' });
    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    fleet = { nginx, conf: join(dir, 'fleet', 'etc', 'nginx', 'nginx.conf'), generated, prefix };
    read = await readNginxConfig(fleet.conf);
  });

  it('passes nginx -t', () => {
    const { status, output } = runNginx(fleet, '-t');
    expect(output).toContain('test is successful');
    expect(status).toBe(0);
  });

  it('reads the same config files as nginx -T', () => {
    const { status, output } = runNginx(fleet, '-T');
    expect(status).toBe(0);
    const nginxRead = [...output.matchAll(/^# configuration file (.+):$/gm)].map((m) => m[1]);
    expect(read.errors).toEqual([]);
    expect([...read.filesRead].sort()).toEqual([...nginxRead].sort());
  });

  it('finds exactly the certificate and key files nginx loads', () => {
    const ours = [...new Set(read.bindings.flatMap((b) => [b.certificateFile, b.keyFile].filter((f): f is string => f !== undefined)))];
    expect(ours.length).toBeGreaterThanOrEqual(20);
    for (const file of ours) {
      expect(existsSync(file), file).toBe(true);
      // Each file we name is one nginx needs: without it nginx -t fails, naming that very path.
      const { status, output } = withMovedAway([file], () => runNginx(fleet, '-t'));
      expect(status, `nginx -t without ${file}`).not.toBe(0);
      // nginx names the path as it joined it (prefix + relative path, `..` kept).
      const named = /cannot load certificate(?: key)? "([^"]+)"/.exec(output)?.[1];
      expect(named && resolve(named), output).toBe(file);
    }
    // And nginx needs nothing else from the generated fleet.
    const others = filesUnder(fleet.generated).filter((f) => !ours.includes(f));
    expect(others.length).toBeGreaterThan(0);
    const { status, output } = withMovedAway(others, () => runNginx(fleet, '-t'));
    expect(output).toContain('test is successful');
    expect(status).toBe(0);
  });
});
