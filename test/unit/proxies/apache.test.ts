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
});

describe('readApacheConfig: conditional sections and macros, as httpd reads them', () => {
  const vhost = (name: string, cert: string): string =>
    `<VirtualHost *:443>\n  ServerName ${name}\n  SSLEngine on\n  SSLCertificateFile ${cert}\n</VirtualHost>`;

  it('evaluates <IfModule> against LoadModule: identifier or source file name, negation, in reading order', async () => {
    const dir = tempDir();
    const text = [
      '<IfModule ssl_module>', // 1: no LoadModule seen yet: modules are unknown, taken as loaded
      '  SSLCertificateFile /c/early.pem',
      '</IfModule>',
      'LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so', // 4
      'LoadModule http2_module modules/mod_http2.so',
      '<IfModule !mod_ssl.c>',
      vhost('nossl.example', '/c/nossl.pem'),
      '  <IfModule mod_ssl.c>', // nested inside a false section: skipped whatever it says
      '    SSLCertificateFile /c/nested.pem',
      '  </IfModule>',
      '</IfModule>',
      '<IfModule mod_ssl.c>',
      vhost('ssl.example', '/c/ssl.pem'),
      '</IfModule>',
      '<IfModule !rewrite_module>', // not loaded: the negation holds
      vhost('norewrite.example', '/c/norewrite.pem'),
      '</IfModule>',
      '<IfModule mod_ssl>', // neither identifier nor file name: httpd finds no such module
      vhost('wrong-name.example', '/c/wrong-name.pem'),
      '</IfModule>',
      '<IfModule http2_module>',
      '  <IfModule mod_version.c>', // compiled into Debian's apache2
      vhost('h2.example', '/c/h2.pem'),
      '  </IfModule>',
      '</IfModule>',
    ].join('\n');
    const result = await readApacheConfig(writeFile(join(dir, 'apache2.conf'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.serverNames, b.certificateFile])).toEqual([
      [['ssl.example'], '/c/ssl.pem'],
      [['norewrite.example'], '/c/norewrite.pem'],
      [['h2.example'], '/c/h2.pem'],
      [[], '/c/early.pem'],
    ]);
  });

  it('takes the modules of a site file read alone from Debian mods-enabled/ beside it', async () => {
    const root = tempDir();
    const apache = join(root, 'etc', 'apache2');
    const site = [
      '<IfModule mod_ssl.c>',
      vhost('ssl.example', '/c/ssl.pem'),
      '</IfModule>',
      '<IfModule !mod_ssl.c>',
      vhost('fallback.example', '/c/fallback.pem'),
      '</IfModule>',
    ].join('\n');
    const file = writeFile(join(apache, 'sites-enabled', 'default-ssl.conf'), site);
    writeFile(join(apache, 'mods-enabled', 'alias.load'), 'LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n');

    const withoutSsl = await readApacheConfig(file);
    expect(withoutSsl.bindings.map((b) => b.certificateFile)).toEqual(['/c/fallback.pem']);

    writeFile(join(apache, 'mods-enabled', 'ssl.load'), '# Depends: setenvif mime socache_shmcb\nLoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n');
    const withSsl = await readApacheConfig(file);
    expect(withSsl.bindings.map((b) => b.certificateFile)).toEqual(['/c/ssl.pem']);

    // Read through apache2.conf, which includes mods-enabled itself, the answer is the same.
    const main = writeFile(join(apache, 'apache2.conf'), 'IncludeOptional mods-enabled/*.load\nIncludeOptional sites-enabled/*.conf\n');
    expect((await readApacheConfig(main)).bindings.map((b) => b.certificateFile)).toEqual(['/c/ssl.pem']);
  });

  it('evaluates <IfDefine> against Define, UnDefine and the -D names given', async () => {
    const dir = tempDir();
    const text = [
      '<IfDefine SSL>', // only with -D SSL
      vhost('flag.example', '/c/flag.pem'),
      '</IfDefine>',
      '<IfDefine !SSL>',
      vhost('noflag.example', '/c/noflag.pem'),
      '</IfDefine>',
      'Define HAVE_TLS',
      '<IfDefine HAVE_TLS>',
      vhost('defined.example', '/c/defined.pem'),
      '</IfDefine>',
      'UnDefine HAVE_TLS',
      '<IfDefine HAVE_TLS>',
      vhost('undefined.example', '/c/undefined.pem'),
      '</IfDefine>',
    ].join('\n');
    const main = writeFile(join(dir, 'httpd.conf'), text);
    const plain = await readApacheConfig(main);
    expect(plain.errors).toEqual([]);
    expect(plain.bindings.map((b) => b.certificateFile)).toEqual(['/c/noflag.pem', '/c/defined.pem']);
    const flagged = await readApacheConfig(main, { apacheDefines: ['SSL'] });
    expect(flagged.bindings.map((b) => b.certificateFile)).toEqual(['/c/flag.pem', '/c/defined.pem']);
  });

  it('reports a skipped section that is not closed, or closed by the wrong tag', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'httpd.conf'), '<IfDefine NOPE>\n  <Directory />\n  </Directory>\n</IfModule>\n<IfDefine NOPE>\nSSLCertificateFile /c/x.pem\n');
    const result = await readApacheConfig(main);
    expect(result.errors).toEqual([
      { source: `${main}:4`, message: expect.stringContaining('</ifmodule> closes <ifdefine> (line 1)') },
      { source: `${main}:5`, message: expect.stringContaining('<ifdefine> section is not closed') },
    ]);
    expect(result.bindings).toEqual([]);
  });

  it('expands <Macro>/Use as mod_macro does: parameters substituted, reported at the Use line', async () => {
    const dir = tempDir();
    const macros = [
      '<Macro SSLSite $name $certdir @alias>', // 1
      '  <VirtualHost *:443>',
      '    ServerName $name',
      '    ServerAlias @alias',
      '    SSLEngine on',
      '    SSLCertificateFile $certdir/$name.pem',
      '    SSLCertificateKeyFile ${KEYS}/$name.key', // a Define variable, replaced when the line is read
      '  </VirtualHost>',
      '</Macro>',
      '<Macro Pair $a $ab>', // "longest name wins" where one parameter prefixes another
      '  Use SSLSite $ab $a "www.$ab"',
      '</Macro>',
    ].join('\n');
    writeFile(join(dir, 'macros.conf'), macros);
    const text = [
      'Define KEYS /k', // 1
      'Include macros.conf',
      'use sslsite a.example /c "www.a.example"', // 3: names are case-insensitive
      'Use Pair /d b.example', // 4: a macro using a macro
      'UndefMacro SSLSite',
      'Use SSLSite gone.example /c x', // 6
    ].join('\n');
    const main = writeFile(join(dir, 'apache2.conf'), text);
    const result = await readApacheConfig(main);
    expect(result.errors).toEqual([{ source: `${main}:6`, message: expect.stringContaining("macro 'sslsite' is not defined") }]);
    expect(result.bindings).toEqual([
      { proxy: 'apache', configFile: main, line: 3, serverNames: ['a.example', 'www.a.example'], certificateFile: '/c/a.example.pem', keyFile: '/k/a.example.key' },
      { proxy: 'apache', configFile: main, line: 4, serverNames: ['b.example', 'www.b.example'], certificateFile: '/d/b.example.pem', keyFile: '/k/b.example.key' },
    ]);
  });

  it('reports a macro used with the wrong number of arguments, or recursively, and an unclosed <Macro>', async () => {
    const dir = tempDir();
    const text = [
      '<Macro Loop $x>',
      '  Use Loop $x',
      '</Macro>',
      '<Macro One $x>',
      '  SSLCertificateFile /c/$x.pem',
      '</Macro>',
      'Use One', // 7
      'Use Loop 1', // 8
      'Use One fine', // 9
      '<Macro Open>', // 10
    ].join('\n');
    const main = writeFile(join(dir, 'apache2.conf'), text);
    const result = await readApacheConfig(main);
    expect(result.errors).toEqual([
      { source: `${main}:7`, message: expect.stringContaining('used with 0 arguments instead of 1') },
      { source: `${main}:8`, message: expect.stringContaining("recursive use of macro 'loop'") },
      { source: `${main}:10`, message: expect.stringContaining('<Macro open> is not closed') },
    ]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile])).toEqual([[9, '/c/fine.pem']]);
  });
});
