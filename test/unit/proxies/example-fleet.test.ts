/**
 * The committed example configs, read by our readers against a freshly generated fleet: every file
 * they name exists, and the bindings that demonstrate findings say what FLEET.md promises.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readApacheConfig } from '../../../src/inventory/sources/proxies/apache.js';
import { detectProxyConfigs } from '../../../src/inventory/sources/proxies/detect.js';
import { readHaproxyConfig } from '../../../src/inventory/sources/proxies/haproxy.js';
import { readNginxConfig } from '../../../src/inventory/sources/proxies/nginx.js';
import { readTraefikConfig } from '../../../src/inventory/sources/proxies/traefik.js';
import type { ProxyBinding, ProxyConfigResult } from '../../../src/inventory/sources/proxy-types.js';
import { tempDir } from '../../helpers/pki.js';

const repo = resolve(import.meta.dirname, '..', '..', '..');

describe('example fleet configs', () => {
  let fleet: string;
  let generated: string;
  const byDir = (result: ProxyConfigResult, dir: string): ProxyBinding[] =>
    result.bindings.filter((b) => b.certificateFile.startsWith(join(generated, dir) + '/'));

  beforeAll(() => {
    fleet = join(tempDir('certfleet-fleet-'), 'fleet');
    cpSync(join(repo, 'examples', 'fleet', 'etc'), join(fleet, 'etc'), { recursive: true });
    generated = join(fleet, 'generated');
    execFileSync(process.execPath, [join(repo, 'examples', 'generate-fleet.mjs'), '--out', generated], { stdio: 'pipe' });
  });

  it('are found by detection, main files only', async () => {
    const etc = join(fleet, 'etc');
    expect(await detectProxyConfigs(fleet)).toEqual([
      { proxy: 'apache', file: join(etc, 'apache2', 'apache2.conf') },
      { proxy: 'haproxy', file: join(etc, 'haproxy', 'haproxy.cfg') },
      { proxy: 'nginx', file: join(etc, 'nginx', 'nginx.conf') },
      { proxy: 'traefik', file: join(etc, 'traefik', 'dynamic.yml') },
    ]);
  });

  it('nginx: dual certificates, the inherited default, and the finding showcases', async () => {
    const result = await readNginxConfig(join(fleet, 'etc', 'nginx', 'nginx.conf'));
    expect(result.errors).toEqual([]);
    for (const b of result.bindings) for (const f of [b.certificateFile, b.keyFile!]) expect(existsSync(f), f).toBe(true);
    expect(byDir(result, 'healthy-ec').map((b) => b.serverNames)).toEqual([[], ['shop.example.test', 'www.shop.example.test']]);
    expect(byDir(result, 'healthy-rsa').map((b) => b.keyFile)).toEqual([join(generated, 'healthy-rsa', 'privkey.pem')]);
    expect(byDir(result, 'hostname-mismatch')[0]!.serverNames).toEqual(['blog.example.test', 'news.example.test']);
    expect(byDir(result, 'leaf-only')[0]!.certificateFile).toBe(join(generated, 'leaf-only', 'cert.pem'));
    expect(statSync(byDir(result, 'loose-permissions')[0]!.keyFile!).mode & 0o777).toBe(0o644);
    for (const dir of ['expired', 'expiring-soon', 'not-yet-valid', 'long-lived', 'self-signed']) expect(byDir(result, dir), dir).toHaveLength(1);
  });

  it('Apache: Define, the inherited main-server certificate, the chain file', async () => {
    const result = await readApacheConfig(join(fleet, 'etc', 'apache2', 'apache2.conf'));
    expect(result.errors).toEqual([]);
    expect(byDir(result, 'healthy-rsa')).toMatchObject([{ serverNames: ['shop.example.test', 'www.shop.example.test'], chainFile: join(generated, 'healthy-rsa', 'chain.pem') }]);
    expect(byDir(result, 'sha1')).toMatchObject([{ serverNames: ['legacy.example.test'], chainFile: join(generated, 'sha1', 'chain.pem') }]);
    expect(byDir(result, 'key-mismatch')).toMatchObject([{ keyFile: join(generated, 'key-mismatch', 'privkey.pem') }]);
  });

  it('HAProxy: combined PEM, a directory with the key beside the certificate, a crt-list', async () => {
    const result = await readHaproxyConfig(join(fleet, 'etc', 'haproxy', 'haproxy.cfg'));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.certificateFile, b.keyFile, b.serverNames])).toEqual([
      [join(generated, 'haproxy', 'site.pem'), undefined, []],
      [join(generated, 'haproxy', 'certs', 'api.pem'), join(generated, 'haproxy', 'certs', 'api.pem.key'), []],
      [join(generated, 'healthy-rsa', 'combined.pem'), undefined, ['shop.example.test', 'www.shop.example.test']],
    ]);
    for (const b of result.bindings) expect(existsSync(b.certificateFile), b.certificateFile).toBe(true);
  });

  it('Traefik: the weak certificate, tied to its router name', async () => {
    const result = await readTraefikConfig(join(fleet, 'etc', 'traefik', 'dynamic.yml'));
    expect(result.errors).toEqual([]);
    expect(result.bindings).toMatchObject([
      { line: 6, serverNames: ['weak.example.test'], certificateFile: join(generated, 'weak-rsa-1024', 'fullchain.pem'), keyFile: join(generated, 'weak-rsa-1024', 'privkey.pem') },
    ]);
  });

  it('the generator is idempotent and writes keys 0600 unless the example needs otherwise', () => {
    const before = statSync(join(generated, 'healthy-ec', 'privkey.pem')).mtimeMs;
    execFileSync(process.execPath, [join(repo, 'examples', 'generate-fleet.mjs'), '--out', generated], { stdio: 'pipe' });
    expect(statSync(join(generated, 'healthy-ec', 'privkey.pem')).mtimeMs).toBe(before);
    for (const key of ['healthy-ec/privkey.pem', 'orphaned/orphan.key', 'encrypted-key/privkey.pem', 'haproxy/site.pem', 'pkcs12/keystore.p12', 'jks/keystore.jks']) {
      expect(statSync(join(generated, key)).mode & 0o777, key).toBe(0o600);
    }
  });
});
