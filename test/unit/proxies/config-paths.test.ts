import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathInsideRoot } from '../../../src/inventory/sources/proxies/config-paths.js';
import { readNginxConfig } from '../../../src/inventory/sources/proxies/nginx.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

describe('pathInsideRoot', () => {
  it('keeps absolute symlink targets inside the scanned copy', async () => {
    const root = tempDir();
    writeFile(join(root, 'etc', 'nginx', 'sites-available', 'site'), 'copy');
    mkdirSync(join(root, 'etc', 'nginx', 'sites-enabled'));
    symlinkSync('/etc/nginx/sites-available/site', join(root, 'etc', 'nginx', 'sites-enabled', 'abs'));
    symlinkSync('../../../../../etc/nginx/sites-available/site', join(root, 'etc', 'nginx', 'sites-enabled', 'escaping'));
    symlinkSync('/etc/nginx/sites-available', join(root, 'etc', 'nginx', 'linked-dir'));
    const real = join(root, 'etc', 'nginx', 'sites-available', 'site');
    expect(await pathInsideRoot(join(root, 'etc', 'nginx', 'sites-enabled', 'abs'), root)).toBe(real);
    expect(await pathInsideRoot(join(root, 'etc', 'nginx', 'sites-enabled', 'escaping'), root)).toBe(real);
    expect(await pathInsideRoot(join(root, 'etc', 'nginx', 'linked-dir', 'site'), root)).toBe(real);
    expect(await pathInsideRoot(join(root, 'etc', 'missing', 'x'), root)).toBe(join(root, 'etc', 'missing', 'x'));
    expect(await pathInsideRoot('/elsewhere/x', root)).toBe('/elsewhere/x');
    expect(await pathInsideRoot('/etc/hostname', undefined)).toBe('/etc/hostname');
  });

  it('lets a reader follow an absolute sites-enabled symlink inside the copy', async () => {
    const root = tempDir();
    const conf = writeFile(join(root, 'etc', 'nginx', 'nginx.conf'), 'http { include /etc/nginx/sites-enabled/*; }\n');
    writeFile(join(root, 'etc', 'nginx', 'sites-available', 'site'), 'server { listen 443 ssl; ssl_certificate /etc/ssl/copy.pem; ssl_certificate_key k; }\n');
    mkdirSync(join(root, 'etc', 'nginx', 'sites-enabled'));
    symlinkSync('/etc/nginx/sites-available/site', join(root, 'etc', 'nginx', 'sites-enabled', 'site'));
    const result = await readNginxConfig(conf, { root });
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(root, 'etc', 'ssl', 'copy.pem')]);
  });

  it('expands an include glob through a directory that is an absolute symlink inside the copy', async () => {
    const root = tempDir();
    const conf = writeFile(join(root, 'etc', 'nginx', 'nginx.conf'), 'http { include /etc/nginx/conf.d/*.conf; }\n');
    writeFile(join(root, 'srv', 'nginx-conf', 'a.conf'), 'server { listen 443 ssl; ssl_certificate a.pem; ssl_certificate_key a.key; }\n');
    symlinkSync('/srv/nginx-conf', join(root, 'etc', 'nginx', 'conf.d'));
    const result = await readNginxConfig(conf, { root });
    expect(result.errors).toEqual([]);
    expect(result.filesRead).toEqual([conf, join(root, 'etc', 'nginx', 'conf.d', 'a.conf')]);
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(root, 'etc', 'nginx', 'a.pem')]);
  });
});
