import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apacheLines, apacheWords, substituteDefines } from '../../../src/inventory/sources/proxies/apache-lines.js';
import { readApacheConfig } from '../../../src/inventory/sources/proxies/apache.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

describe('apache line reading', () => {
  it('joins continuations, drops comments, keeps the first line number', () => {
    expect(apacheLines('# c\n\nServerName a\nSSLCertificateFile \\\n   /x.pem\n  # indented comment\nB\r\n')).toEqual([
      { text: 'ServerName a', line: 3 },
      { text: 'SSLCertificateFile    /x.pem', line: 4 },
      { text: 'B', line: 7 },
    ]);
  });

  it('splits quoted words and flags an unterminated quote', () => {
    expect(apacheWords(`SSLCertificateFile "/a b/c.pem" 'x y' z`)).toEqual({ words: ['SSLCertificateFile', '/a b/c.pem', 'x y', 'z'], unterminatedQuote: false });
    expect(apacheWords('A "b \\" c')).toEqual({ words: ['A', 'b " c'], unterminatedQuote: true });
  });

  it('substitutes defined variables and lists the others', () => {
    expect(substituteDefines('${A}/x/${B}', new Map([['A', '/etc']]))).toEqual({ text: '/etc/x/${B}', undefinedNames: ['B'] });
  });
});

describe('readApacheConfig', () => {
  it('reads virtual hosts through Include/IncludeOptional globs relative to the main directory', async () => {
    const dir = tempDir();
    const main = writeFile(
      join(dir, 'apache2.conf'),
      'ServerName main.example\nInclude ports.conf\nIncludeOptional sites-enabled/*.conf\nIncludeOptional conf-enabled/*.conf\n',
    );
    writeFile(join(dir, 'ports.conf'), 'Listen 443\n');
    const site = [
      '<IfModule mod_ssl.c>',
      '<VirtualHost *:443>',
      '    servername https://WWW.Example.com:443',
      '    ServerAlias example.com *.example.com',
      '    SSLEngine on',
      '    sslcertificatefile /etc/ssl/site.pem',
      '    SSLCertificateKeyFile "private/site.key"',
      '    SSLCertificateChainFile chain.pem',
      '</VirtualHost>',
      '</IfModule>',
    ].join('\n');
    writeFile(join(dir, 'sites-enabled', 'site.conf'), site);
    const result = await readApacheConfig(main);
    expect(result.errors).toEqual([]);
    expect(result.filesRead).toEqual([main, join(dir, 'ports.conf'), join(dir, 'sites-enabled', 'site.conf')]);
    expect(result.bindings).toEqual([
      {
        proxy: 'apache',
        configFile: join(dir, 'sites-enabled', 'site.conf'),
        line: 6,
        serverNames: ['www.example.com', 'example.com', '*.example.com'],
        certificateFile: '/etc/ssl/site.pem',
        keyFile: join(dir, 'private', 'site.key'),
        chainFile: join(dir, 'chain.pem'),
      },
    ]);
  });

  it('inherits main-server certificates into SSL virtual hosts, and expects the key in the certificate file without a KeyFile', async () => {
    const dir = tempDir();
    const text = [
      'ServerName main.example',
      'SSLCertificateFile default.pem',
      'SSLCertificateChainFile default-chain.pem',
      '<VirtualHost *:80>',
      '  ServerName plain.example',
      '</VirtualHost>',
      '<VirtualHost *:443>',
      '  ServerName inherits.example',
      '  SSLEngine on',
      '</VirtualHost>',
      '<VirtualHost *:443>',
      '  SSLEngine on',
      '  SSLCertificateFile rsa.pem',
      '  SSLCertificateKeyFile rsa.key',
      '  SSLCertificateFile ec.pem',
      '</VirtualHost>',
    ].join('\n');
    const result = await readApacheConfig(writeFile(join(dir, 'httpd.conf'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.line, b.serverNames, b.certificateFile, b.keyFile, b.chainFile])).toEqual([
      [2, ['inherits.example'], join(dir, 'default.pem'), undefined, join(dir, 'default-chain.pem')],
      // no ServerName of its own: the main server's name
      [13, ['main.example'], join(dir, 'rsa.pem'), join(dir, 'rsa.key'), join(dir, 'default-chain.pem')],
      [15, ['main.example'], join(dir, 'ec.pem'), undefined, join(dir, 'default-chain.pem')],
    ]);
  });

  it('applies Define and ServerRoot, and reports variables the config does not define', async () => {
    const root = tempDir();
    const confDir = join(root, 'etc', 'httpd', 'conf');
    const text = [
      'ServerRoot "/etc/httpd"',
      'Define CERTS /etc/pki/tls',
      'Include conf.d/*.conf',
      '<VirtualHost *:443>',
      '  SSLEngine on',
      '  SSLCertificateFile ${CERTS}/certs/a.pem',
      '  SSLCertificateKeyFile ${APACHE_KEYS}/a.key',
      '</VirtualHost>',
    ].join('\n');
    const main = writeFile(join(confDir, 'httpd.conf'), text);
    writeFile(join(root, 'etc', 'httpd', 'conf.d', 'ssl.conf'), 'SSLCertificateFile relative.pem\n');

    const result = await readApacheConfig(main, { root });
    expect(result.errors).toEqual([{ source: `${main}:7`, message: expect.stringContaining('${APACHE_KEYS} not defined') }]);
    expect(result.bindings.map((b) => [b.configFile, b.line, b.certificateFile, b.keyFile])).toEqual([
      [main, 6, join(root, 'etc', 'pki', 'tls', 'certs', 'a.pem'), undefined],
      [join(root, 'etc', 'httpd', 'conf.d', 'ssl.conf'), 1, join(root, 'etc', 'httpd', 'relative.pem'), undefined],
    ]);
  });

  it('tolerates IncludeOptional without a match but reports Include without one', async () => {
    const dir = tempDir();
    const main = writeFile(
      join(dir, 'apache2.conf'),
      'IncludeOptional nothing/*.conf\nIncludeOptional absent.conf\nInclude none/*.conf\nInclude absent.conf\nSSLCertificateFile a.pem\n',
    );
    const result = await readApacheConfig(main);
    expect(result.errors.map((e) => e.source)).toEqual([`${main}:3`, `${main}:4`]);
    expect(result.errors[1]!.message).toMatch(/cannot read included file .*absent\.conf: no such file/);
    expect(result.bindings).toHaveLength(1);
  });

  it('reads every file of an included directory, and reports include cycles', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'apache2.conf'), 'Include conf.d\n');
    writeFile(join(dir, 'conf.d', 'b.conf'), 'SSLCertificateFile b.pem\n');
    writeFile(join(dir, 'conf.d', 'a.conf'), '# includes the main file\nInclude apache2.conf\nSSLCertificateFile a.pem\n');
    const result = await readApacheConfig(main);
    expect(result.errors).toEqual([{ source: `${join(dir, 'conf.d', 'a.conf')}:2`, message: expect.stringContaining('include cycle') }]);
    // Neither is used by a virtual host: both are main-server certificates.
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(dir, 'a.pem'), join(dir, 'b.pem')]);
  });

  it('reports unclosed and mismatched sections and unterminated quotes with their lines, and goes on', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'apache2.conf'), 'Include site.conf\nSSLCertificateFile "main.pem\n');
    const site = ['<VirtualHost *:443>', '  SSLCertificateFile a.pem', '</Directory>', '<VirtualHost *:443>', '  SSLCertificateFile b.pem'].join('\n');
    writeFile(join(dir, 'site.conf'), site);
    const result = await readApacheConfig(main);
    const site_ = join(dir, 'site.conf');
    expect(result.errors).toEqual([
      { source: `${site_}:3`, message: expect.stringContaining('</directory> without a matching') },
      { source: `${site_}:4`, message: expect.stringContaining('inside another <VirtualHost>') },
      { source: `${site_}:4`, message: expect.stringContaining('not closed') },
      { source: `${site_}:1`, message: expect.stringContaining('not closed') },
      { source: `${main}:2`, message: expect.stringContaining('unterminated quoted string') },
    ]);
    expect(result.bindings.map((b) => b.certificateFile).sort()).toEqual([join(dir, 'a.pem'), join(dir, 'b.pem'), join(dir, 'main.pem')].sort());
  });

  it('skips Macro bodies', async () => {
    const dir = tempDir();
    const text = '<Macro SSLSite $name>\n<VirtualHost *:443>\nSSLCertificateFile /c/$name.pem\n</VirtualHost>\n</Macro>\nUse SSLSite a\n';
    const result = await readApacheConfig(writeFile(join(dir, 'apache2.conf'), text));
    expect(result).toMatchObject({ errors: [], bindings: [] });
  });
});
