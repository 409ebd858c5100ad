import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectProxyConfigs } from '../../../src/inventory/sources/proxies/detect.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

describe('detectProxyConfigs', () => {
  it('finds the main config of each proxy at any depth, and not the files they include', async () => {
    const dir = tempDir();
    const etc = join(dir, 'machine', 'etc');
    writeFile(join(etc, 'nginx', 'nginx.conf'), 'http { include conf.d/*.conf; }\n');
    writeFile(join(etc, 'nginx', 'conf.d', 'site.conf'), 'server { }\n');
    writeFile(join(dir, 'opt', 'openresty', 'nginx', 'conf', 'nginx.conf'), 'events {}\n');
    writeFile(join(dir, 'unrelated', 'nginx.conf'), '# a stray copy, not in an nginx directory\n');
    writeFile(join(etc, 'apache2', 'apache2.conf'), 'IncludeOptional sites-enabled/*.conf\n');
    writeFile(join(etc, 'httpd', 'conf', 'httpd.conf'), 'ServerRoot /etc/httpd\n');
    writeFile(join(etc, 'haproxy', 'haproxy.cfg'), 'global\n');
    writeFile(join(etc, 'traefik', 'traefik.yml'), 'providers:\n  file:\n    directory: dynamic\n');
    writeFile(join(etc, 'traefik', 'dynamic', 'certs.yml'), 'tls:\n  certificates: []\n');
    writeFile(join(dir, 'srv', 'traefik', 'tls.toml'), '[[tls.certificates]]\ncertFile = "a.crt"\n');
    writeFile(join(dir, 'srv', 'traefik', 'routers.yml'), 'http:\n  routers: {}\n');
    writeFile(join(dir, 'node_modules', 'x', 'haproxy.cfg'), 'global\n');

    const found = await detectProxyConfigs(dir);
    expect(found).toEqual([
      { proxy: 'apache', file: join(etc, 'apache2', 'apache2.conf') },
      { proxy: 'haproxy', file: join(etc, 'haproxy', 'haproxy.cfg') },
      { proxy: 'apache', file: join(etc, 'httpd', 'conf', 'httpd.conf') },
      { proxy: 'nginx', file: join(etc, 'nginx', 'nginx.conf') },
      { proxy: 'traefik', file: join(etc, 'traefik', 'traefik.yml') },
      { proxy: 'nginx', file: join(dir, 'opt', 'openresty', 'nginx', 'conf', 'nginx.conf') },
      { proxy: 'traefik', file: join(dir, 'srv', 'traefik', 'tls.toml') },
    ]);
  });

  it('accepts an nginx.conf at the scanned root and survives symlink loops', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'nginx.conf'), 'events {}\n');
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    symlinkSync(dir, join(dir, 'a', 'b', 'back-to-top'));
    symlinkSync(join(dir, 'a'), join(dir, 'a', 'b', 'up'));
    writeFile(join(dir, 'a', 'b', 'haproxy.cfg'), 'global\n');

    const found = await detectProxyConfigs(dir);
    expect(found).toEqual([
      { proxy: 'haproxy', file: join(dir, 'a', 'b', 'haproxy.cfg') },
      { proxy: 'nginx', file: join(dir, 'nginx.conf') },
    ]);
  });

  it('uses root to see that a candidate includes another by an absolute path', async () => {
    const root = tempDir();
    writeFile(join(root, 'etc', 'traefik', 'traefik.toml'), '[providers.file]\nfilename = "/etc/traefik/certs/tls.yml"\n');
    writeFile(join(root, 'etc', 'traefik', 'certs', 'tls.yml'), 'tls:\n  certificates: []\n');
    expect((await detectProxyConfigs(root)).map((c) => c.file)).toHaveLength(2);
    expect(await detectProxyConfigs(root, { root })).toEqual([{ proxy: 'traefik', file: join(root, 'etc', 'traefik', 'traefik.toml') }]);
  });

  it('returns nothing for a missing directory', async () => {
    expect(await detectProxyConfigs(join(tempDir(), 'absent'))).toEqual([]);
  });
});

describe('detectProxyConfigs: sites-enabled files', () => {
  it('finds nginx and Apache site files, by the directory above or by what they hold', async () => {
    const dir = tempDir();
    const nginxSite = writeFile(join(dir, 'etc', 'nginx', 'sites-available', 'site'), 'server { listen 443 ssl; }\n');
    mkdirSync(join(dir, 'etc', 'nginx', 'sites-enabled'), { recursive: true });
    symlinkSync(nginxSite, join(dir, 'etc', 'nginx', 'sites-enabled', 'site'));
    writeFile(join(dir, 'etc', 'apache2', 'sites-enabled', 'default-ssl.conf'), '# a comment\n<VirtualHost *:443>\n</VirtualHost>\n');
    writeFile(join(dir, 'backup', 'sites-enabled', 'web.conf'), '# copied from a server\nserver {\n  listen 443 ssl;\n}\n');
    writeFile(join(dir, 'backup', 'sites-enabled', 'vhost.conf'), '<IfModule mod_ssl.c>\n</IfModule>\n');
    writeFile(join(dir, 'backup', 'sites-enabled', 'notes.txt'), 'nothing a proxy reads\n');

    expect(await detectProxyConfigs(dir)).toEqual([
      { proxy: 'nginx', file: join(dir, 'backup', 'sites-enabled', 'web.conf') },
      { proxy: 'apache', file: join(dir, 'backup', 'sites-enabled', 'vhost.conf') },
      { proxy: 'apache', file: join(dir, 'etc', 'apache2', 'sites-enabled', 'default-ssl.conf') },
      { proxy: 'nginx', file: join(dir, 'etc', 'nginx', 'sites-enabled', 'site') },
    ].sort((a, b) => (a.file < b.file ? -1 : 1)));

    // With the main config that includes them beside them, the site files are its, not candidates.
    const main = writeFile(join(dir, 'etc', 'nginx', 'nginx.conf'), 'events {}\nhttp { include sites-enabled/*; }\n');
    expect(await detectProxyConfigs(join(dir, 'etc', 'nginx'))).toEqual([{ proxy: 'nginx', file: main }]);
  });
});
