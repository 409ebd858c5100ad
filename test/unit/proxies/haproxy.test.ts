import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyWords } from '../../../src/inventory/sources/proxies/haproxy-words.js';
import { readHaproxyConfig } from '../../../src/inventory/sources/proxies/haproxy.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

const PEM = '-----BEGIN CERTIFICATE-----\n(not read by the reader)\n-----END CERTIFICATE-----\n';

describe('haproxy word splitting', () => {
  it('follows quoting, escaping and comments', () => {
    const { words } = haproxyWords(`  bind :443 ssl crt "/a b.pem" crt '/c#d.pem' crt /e\\ f.pem # comment crt /x.pem`);
    expect(words.map((w) => w.value)).toEqual(['bind', ':443', 'ssl', 'crt', '/a b.pem', 'crt', '/c#d.pem', 'crt', '/e f.pem']);
  });

  it('marks environment variables in weak quotes and reports an unterminated quote', () => {
    expect(haproxyWords('crt "${CERTS}/a.pem" \'$lit\'').words.map((w) => w.hasVariable)).toEqual([false, true, false]);
    expect(haproxyWords('bind :443 crt "/a.pem').error).toMatch(/unterminated double-quoted/);
  });
});

describe('readHaproxyConfig', () => {
  it('reads crt files and directories from frontend and listen bind lines, with crt-base', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'certs', 'site.pem'), PEM);
    writeFile(join(dir, 'certs', 'dir', 'b.pem'), PEM);
    writeFile(join(dir, 'certs', 'dir', 'a.pem'), PEM);
    writeFile(join(dir, 'certs', 'dir', 'a.pem.key'), 'key');
    for (const skipped of ['a.pem.ocsp', 'a.pem.issuer', 'a.pem.sctl', '.hidden.pem']) writeFile(join(dir, 'certs', 'dir', skipped), 'x');
    const text = [
      'global',
      '    crt-base certs',
      '',
      'frontend https',
      '    bind :443 ssl crt site.pem crt dir alpn h2',
      'backend app',
      '    server s1 127.0.0.1:8080 ssl crt client.pem',
      'listen stats',
      '    bind :8443 ssl crt /abs/other.pem',
    ].join('\n');
    const main = writeFile(join(dir, 'haproxy.cfg'), text);
    const result = await readHaproxyConfig(main);
    expect(result.errors).toEqual([]);
    expect(result.filesRead).toEqual([main]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile, b.serverNames])).toEqual([
      [5, join(dir, 'certs', 'site.pem'), undefined, []],
      [5, join(dir, 'certs', 'dir', 'a.pem'), join(dir, 'certs', 'dir', 'a.pem.key'), []],
      [5, join(dir, 'certs', 'dir', 'b.pem'), undefined, []],
      [9, '/abs/other.pem', undefined, []],
    ]);
  });

  it('resolves relative paths from the config directory without crt-base, and re-roots absolute ones', async () => {
    const root = tempDir();
    const confDir = join(root, 'etc', 'haproxy');
    const main = writeFile(join(confDir, 'haproxy.cfg'), 'frontend f\n  bind :443 ssl crt local.pem crt /etc/ssl/abs.pem\n');
    const result = await readHaproxyConfig(main, { root });
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(confDir, 'local.pem'), join(root, 'etc', 'ssl', 'abs.pem')]);
  });

  it('reads crt-lists: ssl options in brackets, SNI filters (negated ones ignored), exact lines', async () => {
    const dir = tempDir();
    const list = [
      '# certificates and the names they answer',
      '',
      'a.pem',
      'b.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2] www.example.com *.example.com !secret.example.com',
      'c.pem [verify none] C.Example.ORG',
      '"d e.pem" [key d.key] d.example',
      'f.pem [alpn h2',
    ].join('\n');
    writeFile(join(dir, 'lists', 'certs.list'), list);
    writeFile(join(dir, 'a.pem'), PEM);
    const main = writeFile(join(dir, 'haproxy.cfg'), 'global\n  key-base /keys\nfrontend f\n  bind :443 ssl crt-list lists/certs.list\n');
    const result = await readHaproxyConfig(main);
    const listFile = join(dir, 'lists', 'certs.list');
    expect(result.filesRead).toEqual([main, listFile]);
    expect(result.errors).toEqual([{ source: `${listFile}:7`, message: expect.stringContaining('unterminated "["') }]);
    expect(result.bindings.map((b) => [b.configFile, b.line, b.certificateFile, b.keyFile, b.serverNames])).toEqual([
      [listFile, 3, join(dir, 'a.pem'), undefined, []],
      [listFile, 4, join(dir, 'b.pem'), undefined, ['www.example.com', '*.example.com']],
      [listFile, 5, join(dir, 'c.pem'), undefined, ['c.example.org']],
      [listFile, 6, join(dir, 'd e.pem'), '/keys/d.key', ['d.example']],
      [listFile, 7, join(dir, 'f.pem'), undefined, []],
    ]);
  });

  it('honours ssl-load-extra-del-ext and ssl-load-extra-files none for companion keys', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'site.crt'), PEM);
    writeFile(join(dir, 'site.key'), 'key');
    writeFile(join(dir, 'other.pem'), PEM);
    writeFile(join(dir, 'other.pem.key'), 'key');
    const delExt = await readHaproxyConfig(writeFile(join(dir, 'a.cfg'), 'global\n ssl-load-extra-del-ext\nfrontend f\n bind :443 ssl crt site.crt\n'));
    expect(delExt.bindings[0]!.keyFile).toBe(join(dir, 'site.key'));
    const none = await readHaproxyConfig(writeFile(join(dir, 'b.cfg'), 'global\n ssl-load-extra-files none\nfrontend f\n bind :443 ssl crt other.pem\n'));
    expect(none.bindings[0]!.keyFile).toBeUndefined();
  });

  it('reports a missing crt-list, environment variables and bad quoting with file and line, and goes on', async () => {
    const dir = tempDir();
    const text = [
      'frontend f',
      '  bind :443 ssl crt-list missing.list',
      '  bind :444 ssl crt "${CERT_DIR}/x.pem"',
      '  bind :445 ssl crt "/unterminated.pem',
      '  bind :446 ssl crt',
      '  bind :447 ssl crt ok.pem',
    ].join('\n');
    const main = writeFile(join(dir, 'haproxy.cfg'), text);
    const result = await readHaproxyConfig(main);
    expect(result.errors.map((e) => e.source)).toEqual([`${main}:2`, `${main}:3`, `${main}:4`, `${main}:5`]);
    expect(result.errors[0]!.message).toMatch(/cannot read included file .*missing\.list: no such file/);
    expect(result.errors[1]!.message).toMatch(/environment variable/);
    expect(result.bindings.map((b) => [b.line, b.certificateFile])).toEqual([
      [4, '/unterminated.pem'],
      [6, join(dir, 'ok.pem')],
    ]);
  });

  it('applies default-path parent and origin', async () => {
    const dir = tempDir();
    const parent = await readHaproxyConfig(writeFile(join(dir, 'conf', 'p.cfg'), 'global\n default-path parent\nfrontend f\n bind :443 ssl crt x.pem\n'));
    expect(parent.bindings[0]!.certificateFile).toBe(join(dir, 'x.pem'));
    const origin = await readHaproxyConfig(writeFile(join(dir, 'conf', 'o.cfg'), 'global\n default-path origin /srv/lb\nfrontend f\n bind :443 ssl crt x.pem\n'));
    expect(origin.bindings[0]!.certificateFile).toBe('/srv/lb/x.pem');
  });
});

describe('readHaproxyConfig: bundles, log-forward, crt-store', () => {
  it('loads a multi-certificate bundle when the crt file itself is absent, each member with its own key', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'site.pem.rsa'), PEM);
    writeFile(join(dir, 'site.pem.rsa.key'), 'key');
    writeFile(join(dir, 'site.pem.ecdsa'), PEM);
    writeFile(join(dir, 'list.txt'), 'site.pem [alpn h2] www.example\n');
    const text = 'frontend f\n  bind :443 ssl crt site.pem\n  bind :444 ssl crt-list list.txt\n  bind :445 ssl crt absent.pem\n';
    const result = await readHaproxyConfig(writeFile(join(dir, 'haproxy.cfg'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile, b.serverNames])).toEqual([
      [2, join(dir, 'site.pem.ecdsa'), undefined, []],
      [2, join(dir, 'site.pem.rsa'), join(dir, 'site.pem.rsa.key'), []],
      [1, join(dir, 'site.pem.ecdsa'), undefined, ['www.example']],
      [1, join(dir, 'site.pem.rsa'), join(dir, 'site.pem.rsa.key'), ['www.example']],
      [4, join(dir, 'absent.pem'), undefined, []], // neither file nor bundle: reported where it is needed
    ]);

    const noBundles = 'global\n  ssl-load-extra-files key ocsp\nfrontend f\n  bind :443 ssl crt site.pem\n';
    const without = await readHaproxyConfig(writeFile(join(dir, 'nobundle.cfg'), noBundles));
    expect(without.bindings.map((b) => b.certificateFile)).toEqual([join(dir, 'site.pem')]);
  });

  it('reads bind lines of log-forward and peers sections, and ssl-f-use lines', async () => {
    const dir = tempDir();
    const text = [
      'log-forward syslog', // 1
      '  dgram-bind 127.0.0.1:514',
      '  bind 127.0.0.1:6514 ssl crt /c/syslog.pem',
      'peers mesh',
      '  bind :10000 ssl crt /c/peer.pem',
      '  server other 10.0.0.2:10000 ssl crt /c/client.pem',
      'frontend web',
      '  bind :443 ssl',
      '  ssl-f-use crt /c/fuse.pem key /c/fuse.key alpn h2', // 9
      'backend app',
      '  ssl-f-use crt /c/not-a-frontend.pem',
    ].join('\n');
    const result = await readHaproxyConfig(writeFile(join(dir, 'haproxy.cfg'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile])).toEqual([
      [3, '/c/syslog.pem', undefined],
      [5, '/c/peer.pem', undefined],
      [9, '/c/fuse.pem', '/c/fuse.key'],
    ]);
  });

  it('resolves crt "@store/name" and paths declared in crt-store sections, with the store\'s own bases', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'other', 'plain.pem'), PEM);
    writeFile(join(dir, 'other', 'plain.pem.key'), 'key'); // a companion key crt-store certificates never look for
    const text = [
      'global', // 1
      '  crt-base /global/certs',
      '  key-base /global/keys',
      'crt-store', // 4
      '  load crt "site1.crt" key "site1.key" alias "site1"',
      '  load crt "site2.crt" key "site2.key"',
      'crt-store web', // 7
      '  crt-base /etc/ssl/certs/',
      '  key-base /etc/ssl/private/',
      '  load crt "site3.crt" alias "site3"', // 10
      '  load crt "site4.crt" key "site4.key"',
      `  load crt "${join(dir, 'other', 'plain.pem')}"`,
      '  load crt "unused.crt" key "unused.key"', // 13
      'frontend in', // 14
      '  bind *:443 ssl crt "@/site1" crt "site2.crt" crt "@web/site3" crt "@web/site4.crt"',
      `  bind *:444 ssl crt "@web${join(dir, 'other', 'plain.pem')}"`,
      '  bind *:445 ssl crt "@web/site9"', // 17: not declared
    ].join('\n');
    const main = writeFile(join(dir, 'haproxy.cfg'), text);
    const result = await readHaproxyConfig(main);
    expect(result.errors).toEqual([{ source: `${main}:17`, message: expect.stringContaining('no crt-store declares this certificate') }]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile])).toEqual([
      [15, '/global/certs/site1.crt', '/global/keys/site1.key'],
      [15, '/global/certs/site2.crt', '/global/keys/site2.key'],
      [15, '/etc/ssl/certs/site3.crt', undefined],
      [15, '/etc/ssl/certs/site4.crt', '/etc/ssl/private/site4.key'],
      [16, join(dir, 'other', 'plain.pem'), undefined],
      [13, '/etc/ssl/certs/unused.crt', '/etc/ssl/private/unused.key'], // loaded though no bind uses it
    ]);
  });

  it('reports a crt-store certificate declared twice', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'haproxy.cfg'), 'crt-store s\n  load crt a.pem alias x\n  load crt b.pem alias x\nfrontend f\n  bind :443 ssl crt @s/x\n');
    const result = await readHaproxyConfig(main);
    expect(result.errors).toEqual([{ source: `${main}:3`, message: expect.stringContaining('@s/x is already declared') }]);
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(dir, 'a.pem')]);
  });
});
