/**
 * A sites-enabled file (server blocks and http-level directives, no http block) against the real
 * nginx: included from `http {}` nginx -t accepts it and needs exactly the certificate and key
 * files our reader names when it reads the file on its own; as a main config nginx refuses it,
 * and a `server` at the top of a real main config is refused where our reader reports it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNginxConfig } from '../../src/inventory/sources/proxies/nginx.js';
import { issue, tempDir, writeFile } from '../helpers/pki.js';

function findNginx(): string {
  const candidates = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nginx'))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('nginx not installed: run npm test, which installs it');
  return found;
}

describe('an nginx site file, checked by the real nginx', () => {
  let nginx: string;
  let dir: string;
  let prefix: string;
  let site: string;

  /** nginx -t with its pid file, logs and prefix inside the test's temp dir. */
  const nginxTest = (conf: string): { status: number | null; output: string } => {
    const result = spawnSync(
      nginx,
      ['-t', '-p', `${prefix}/`, '-e', join(prefix, 'error.log'), '-c', conf, '-g', `pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;`],
      { encoding: 'utf8', timeout: 20_000 },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };

  beforeAll(async () => {
    nginx = findNginx();
    dir = tempDir('certfleet-nginx-site-');
    prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    for (const name of ['shared', 'a']) {
      const issued = await issue({ commonName: `${name}.example`, sans: [`${name}.example`], days: 30, key: 'ec-p256' });
      writeFile(join(dir, 'certs', `${name}.pem`), issued.certPem);
      writeFile(join(dir, 'certs', `${name}.key`), issued.keyPem, 0o600);
    }
    const certs = join(dir, 'certs');
    site = writeFile(
      join(dir, 'sites-enabled', 'example'),
      [
        `ssl_certificate ${certs}/shared.pem;`,
        `ssl_certificate_key ${certs}/shared.key;`,
        'server {',
        '  listen 127.0.0.1:8443 ssl;',
        '  server_name a.example;',
        `  ssl_certificate ${certs}/a.pem;`,
        `  ssl_certificate_key ${certs}/a.key;`,
        '}',
        'server { listen 127.0.0.1:8444 ssl; server_name b.example; }',
        'server { listen 127.0.0.1:8080; server_name plain.example; }',
      ].join('\n'),
    );
  });

  it('is accepted from http {}, refused as a main config', () => {
    const main = writeFile(join(dir, 'nginx.conf'), `events {}\nhttp { include ${site}; }\n`);
    const included = nginxTest(main);
    expect(included.output).toContain('test is successful');
    expect(included.status).toBe(0);
    const alone = nginxTest(site);
    expect(alone.status).not.toBe(0);
    expect(alone.output).toContain('directive is not allowed here');
  });

  it('needs exactly the files our reader names when it reads the site file alone', async () => {
    const main = writeFile(join(dir, 'nginx.conf'), `events {}\nhttp { include ${site}; }\n`);
    const read = await readNginxConfig(site);
    expect(read.errors).toEqual([]);
    expect(read.bindings.map((b) => b.serverNames)).toEqual([['a.example'], ['b.example']]);
    const files = [...new Set(read.bindings.flatMap((b) => [b.certificateFile, b.keyFile!]))].sort();
    const certs = join(dir, 'certs');
    expect(files).toEqual(['a.key', 'a.pem', 'shared.key', 'shared.pem'].map((f) => join(certs, f)));
    for (const file of files) {
      renameSync(file, `${file}.away`);
      try {
        const { status, output } = nginxTest(main);
        expect(status, `nginx -t without ${file}`).not.toBe(0);
        expect(/cannot load certificate(?: key)? "([^"]+)"/.exec(output)?.[1], output).toBe(file);
      } finally {
        renameSync(`${file}.away`, file);
      }
    }
  });

  it('refuses a server block at the top of a main config, on the line our reader reports', async () => {
    const main = writeFile(join(dir, 'top-server.conf'), `events {}\nhttp { }\nserver { listen 127.0.0.1:8445; }\n`);
    const { status, output } = nginxTest(main);
    expect(status).not.toBe(0);
    expect(output).toContain(`"server" directive is not allowed here in ${main}:3`);
    const read = await readNginxConfig(main);
    expect(read.errors).toEqual([{ source: `${main}:3`, message: expect.stringContaining('"server" directive is not allowed here') }]);
  });
});
