import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNginxConfig } from '../../../src/inventory/sources/proxies/nginx.js';
import { parseNginxConfig } from '../../../src/inventory/sources/proxies/nginx-parser.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

/** Line (1-based) of the first line of `text` containing `needle`: tests name lines by content. */
function lineOf(text: string, needle: string, occurrence = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.includes(needle) && ++seen === occurrence) return i + 1;
  }
  throw new Error(`${needle} not in text`);
}

describe('nginx tokenizer', () => {
  it('handles quotes, escapes, comments, variables and blocks', () => {
    const text = [
      'http { # a comment ; { }',
      '  add_header X-A "a;b {c}" always;',
      "  return 200 'it\\'s';",
      '  set $x ${host}abc;',
      '  log_format main "$remote_addr \\"$request\\"";',
      '  server_name a#b;',
      '}',
    ].join('\n');
    const { directives, errors } = parseNginxConfig(text, '/x.conf');
    expect(errors).toEqual([]);
    const http = directives[0]!;
    expect(http.name).toBe('http');
    expect(http.block!.map((d) => [d.name, d.args, d.line])).toEqual([
      ['add_header', ['X-A', 'a;b {c}', 'always'], 2],
      ['return', ['200', "it's"], 3],
      ['set', ['$x', '${host}abc'], 4],
      ['log_format', ['main', '$remote_addr "$request"'], 5],
      ['server_name', ['a#b'], 6],
    ]);
  });

  it('reports a directive spread over lines at the line of its name', () => {
    const { directives } = parseNginxConfig('\n\nssl_certificate\n\n   /a.pem\n;\n', '/x.conf');
    expect(directives[0]).toMatchObject({ name: 'ssl_certificate', args: ['/a.pem'], line: 3 });
  });

  it('reports unbalanced braces and keeps what it read', () => {
    const extra = parseNginxConfig('a 1;\n}\nb 2;\n', '/x.conf');
    expect(extra.errors).toEqual([{ line: 2, message: expect.stringContaining('unexpected "}"') }]);
    expect(extra.directives.map((d) => d.name)).toEqual(['a', 'b']);

    const missing = parseNginxConfig('http {\n  server {\n    listen 443;\n', '/x.conf');
    expect(missing.errors.map((e) => e.line).sort()).toEqual([1, 2]);
    expect(missing.directives[0]!.block![0]!.block![0]!.name).toBe('listen');
  });

  it('reports an unterminated quote at the line it opens', () => {
    const { directives, errors } = parseNginxConfig('a 1;\nb "open;\nc 3;\n', '/x.conf');
    expect(errors).toEqual([{ line: 2, message: expect.stringContaining('unterminated') }]);
    expect(directives.map((d) => d.name)).toEqual(['a']);
  });

  it('reports a missing ";" before "}" and text glued to a closing quote', () => {
    expect(parseNginxConfig('s {\n  a 1\n}\n', '/x.conf').errors[0]).toMatchObject({ line: 3 });
    const glued = parseNginxConfig('a "x"y;\nb 2;\n', '/x.conf');
    expect(glued.errors[0]).toMatchObject({ line: 1, message: expect.stringContaining('unexpected "y"') });
    expect(glued.directives.map((d) => d.name)).toEqual(['b']);
  });
});

describe('readNginxConfig', () => {
  it('follows globbed includes from the conf prefix, in sorted order, with exact lines', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'nginx.conf'), 'events {}\nhttp {\n    include sites/*.conf;\n    include missing-ok-*.conf;\n}\n');
    const b = 'server {\n  listen 443 ssl;\n  server_name b.example;\n\n  ssl_certificate certs/b.pem;\n  ssl_certificate_key /etc/keys/b.key;\n}\n';
    writeFile(join(dir, 'sites', 'b.conf'), b);
    writeFile(join(dir, 'sites', 'a.conf'), 'server {\n  listen 443 ssl;\n  server_name a.example;\n  ssl_certificate "a cert.pem";\n  ssl_certificate_key a.key;\n}\n');
    writeFile(join(dir, 'sites', 'ignored.txt'), 'garbage {');

    const result = await readNginxConfig(main);
    expect(result.errors).toEqual([]);
    expect(result.filesRead).toEqual([main, join(dir, 'sites', 'a.conf'), join(dir, 'sites', 'b.conf')]);
    expect(result.bindings).toEqual([
      {
        proxy: 'nginx',
        configFile: join(dir, 'sites', 'a.conf'),
        line: 4,
        serverNames: ['a.example'],
        certificateFile: join(dir, 'a cert.pem'),
        keyFile: join(dir, 'a.key'),
      },
      {
        proxy: 'nginx',
        configFile: join(dir, 'sites', 'b.conf'),
        line: lineOf(b, 'ssl_certificate '),
        serverNames: ['b.example'],
        certificateFile: join(dir, 'certs', 'b.pem'),
        keyFile: '/etc/keys/b.key',
      },
    ]);
  });

  it('inherits http-level certificates into servers that listen with ssl, and keys separately', async () => {
    const dir = tempDir();
    const text = [
      'http {',
      '  ssl_certificate /c/default.pem;',
      '  ssl_certificate_key /c/default.key;',
      '  server { listen 80; server_name plain.example; }',
      '  server { listen 443 ssl; server_name inherits.example; }',
      '  server { listen 443 ssl; server_name ownkey.example; ssl_certificate_key /c/own.key; }',
      '  server { listen 443 ssl; server_name own.example; ssl_certificate /c/own.pem; }',
      '}',
    ].join('\n');
    const result = await readNginxConfig(writeFile(join(dir, 'nginx.conf'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.serverNames, b.line, b.certificateFile, b.keyFile])).toEqual([
      [['inherits.example'], 2, '/c/default.pem', '/c/default.key'],
      [['ownkey.example'], 2, '/c/default.pem', '/c/own.key'],
      [['own.example'], 7, '/c/own.pem', '/c/default.key'],
    ]);
  });

  it('still reports http-level certificates that no TLS server uses, with no names', async () => {
    const dir = tempDir();
    const result = await readNginxConfig(
      writeFile(join(dir, 'nginx.conf'), 'http {\n ssl_certificate a.pem;\n ssl_certificate_key a.key;\n server { listen 80; }\n}\n'),
    );
    expect(result.bindings).toMatchObject([{ line: 2, serverNames: [], certificateFile: join(dir, 'a.pem') }]);
  });

  it('pairs dual certificates with their keys in order and reads stream servers', async () => {
    const dir = tempDir();
    const text = [
      'http { server {',
      '  listen 443 ssl;',
      '  ssl_certificate rsa.pem;',
      '  ssl_certificate ecdsa.pem;',
      '  ssl_certificate_key rsa.key;',
      '  ssl_certificate_key ecdsa.key;',
      '} }',
      'stream { server { listen 853 ssl; ssl_certificate dot.pem; ssl_certificate_key dot.key; } }',
    ].join('\n');
    const result = await readNginxConfig(writeFile(join(dir, 'nginx.conf'), text));
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile])).toEqual([
      [3, join(dir, 'rsa.pem'), join(dir, 'rsa.key')],
      [4, join(dir, 'ecdsa.pem'), join(dir, 'ecdsa.key')],
      [8, join(dir, 'dot.pem'), join(dir, 'dot.key')],
    ]);
  });

  it('reads server names: several, wildcards, leading dot, and skips regex, catch-all and variables', async () => {
    const dir = tempDir();
    const text =
      'http { server { listen 443 ssl; server_name A.Example *.wild.example .dot.example ~^re\\d+$ _ "" $hostname; server_name www.a.example a.example; ssl_certificate x.pem; ssl_certificate_key x.key; } }';
    const result = await readNginxConfig(writeFile(join(dir, 'nginx.conf'), text));
    expect(result.bindings[0]!.serverNames).toEqual(['a.example', '*.wild.example', 'dot.example', '*.dot.example', 'www.a.example']);
  });

  it('reports certificate paths holding variables and a certificate without a key', async () => {
    const dir = tempDir();
    const text = [
      'http {',
      '  server { listen 443 ssl; ssl_certificate /c/$ssl_server_name.pem; ssl_certificate_key /c/$ssl_server_name.key; }',
      '  server { listen 443 ssl; server_name nokey.example;',
      '    ssl_certificate nokey.pem; }',
      '}',
    ].join('\n');
    const main = writeFile(join(dir, 'nginx.conf'), text);
    const result = await readNginxConfig(main);
    expect(result.errors).toEqual([
      { source: `${main}:2`, message: expect.stringMatching(/^.*nginx\.conf:2: certificate path \/c\/\$ssl_server_name\.pem holds a variable/) },
      { source: `${main}:4`, message: expect.stringContaining('no "ssl_certificate_key"') },
    ]);
    expect(result.bindings).toMatchObject([{ line: 4, certificateFile: join(dir, 'nokey.pem'), serverNames: ['nokey.example'] }]);
    expect(result.bindings[0]!.keyFile).toBeUndefined();
  });

  it('reports a missing include target, an include cycle and syntax errors in included files, and goes on', async () => {
    const dir = tempDir();
    const main = writeFile(
      join(dir, 'nginx.conf'),
      'http {\n  include missing.conf;\n  include a.conf;\n  include broken.conf;\n  server { listen 443 ssl; ssl_certificate last.pem; ssl_certificate_key last.key; }\n}\n',
    );
    writeFile(join(dir, 'a.conf'), '# a\ninclude b.conf;\n');
    writeFile(join(dir, 'b.conf'), '\n\ninclude a.conf;\nserver { listen 443 ssl; ssl_certificate b.pem; ssl_certificate_key b.key; }\n');
    writeFile(join(dir, 'broken.conf'), 'server {\n  listen 443 ssl;\n  ssl_certificate "broken.pem;\n');

    const result = await readNginxConfig(main);
    const messages = result.errors.map((e) => e.message);
    expect(messages).toEqual([
      expect.stringMatching(new RegExp(`^${main}:2: cannot read included file ${join(dir, 'missing.conf')}: no such file`)),
      expect.stringMatching(new RegExp(`^${join(dir, 'b.conf')}:3: include cycle: .*a\\.conf -> .*b\\.conf -> .*a\\.conf`)),
      expect.stringMatching(new RegExp(`^${join(dir, 'broken.conf')}:3: unterminated double-quoted string`)),
      expect.stringMatching(new RegExp(`^${join(dir, 'broken.conf')}:1: "server" block is not closed`)),
    ]);
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(dir, 'b.pem'), join(dir, 'last.pem')]);
  });

  it('re-roots absolute paths under root, resolves relative ones from the conf prefix', async () => {
    const root = tempDir();
    const confDir = join(root, 'etc', 'nginx');
    const main = writeFile(join(confDir, 'nginx.conf'), 'http { include /etc/nginx/sites-enabled/*; }\n');
    writeFile(join(confDir, 'sites-enabled', 'site'), 'server { listen 443 ssl;\n ssl_certificate /etc/ssl/site.pem;\n ssl_certificate_key site.key; }\n');

    const result = await readNginxConfig(main, { root });
    expect(result.errors).toEqual([]);
    expect(result.filesRead).toEqual([main, join(confDir, 'sites-enabled', 'site')]);
    expect(result.bindings).toMatchObject([
      { configFile: join(confDir, 'sites-enabled', 'site'), line: 2, certificateFile: join(root, 'etc', 'ssl', 'site.pem'), keyFile: join(confDir, 'site.key') },
    ]);
  });

  it('reports an unreadable main file without throwing', async () => {
    const dir = tempDir();
    const result = await readNginxConfig(join(dir, 'absent.conf'));
    expect(result.bindings).toEqual([]);
    expect(result.errors).toEqual([{ source: join(dir, 'absent.conf'), message: expect.stringContaining('no such file') }]);
  });

  it('does not block on an include that is a FIFO or a directory', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo.conf')]);
    mkdirSync(join(dir, 'dir.conf'));
    const main = writeFile(join(dir, 'nginx.conf'), 'include fifo.conf;\ninclude dir.conf;\n');
    const result = await readNginxConfig(main);
    expect(result.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/nginx\.conf:1: cannot read included file .*fifo\.conf: not a regular file/),
      expect.stringMatching(/nginx\.conf:2: cannot read included file .*dir\.conf: is a directory/),
    ]);
  });

  it('ends on an include that is a symlink to itself', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'nginx.conf'), 'include loop.conf;\n');
    symlinkSync(join(dir, 'loop.conf'), join(dir, 'loop.conf'));
    const result = await readNginxConfig(main);
    expect(result.errors[0]!.message).toMatch(/nginx\.conf:1: cannot read included file .*loop\.conf: too many levels of symbolic links/);
  });
});

describe('readNginxConfig: a file of server-level directives', () => {
  it('reads server blocks with no http block around them as nginx reads them from http {}', async () => {
    const dir = tempDir();
    const text = [
      'ssl_certificate /c/shared.pem;', // 1: http-level, inherited by servers that listen with ssl
      'ssl_certificate_key /c/shared.key;',
      'server {',
      '  listen 443 ssl;',
      '  server_name a.example;',
      '  ssl_certificate /c/a.pem;', // 6
      '  ssl_certificate_key /c/a.key;',
      '}',
      'server { listen 443 ssl; server_name b.example; }', // 9
      'server { listen 80; server_name plain.example; }',
    ].join('\n');
    const site = writeFile(join(dir, 'sites-enabled', 'example'), text);
    const result = await readNginxConfig(site);
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.configFile, b.line, b.serverNames, b.certificateFile, b.keyFile])).toEqual([
      [site, 6, ['a.example'], '/c/a.pem', '/c/a.key'],
      [site, 1, ['b.example'], '/c/shared.pem', '/c/shared.key'],
    ]);
  });

  it('reads a main config that includes its sites at the top level', async () => {
    const dir = tempDir();
    const main = writeFile(join(dir, 'sites.conf'), 'include sites-enabled/*;\n');
    writeFile(join(dir, 'sites-enabled', 'a'), 'server { listen 443 ssl; ssl_certificate a.pem; ssl_certificate_key a.key; }\n');
    const result = await readNginxConfig(main);
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(dir, 'a.pem')]);
  });

  it('reports a server block at the top of a main config, as nginx refuses it', async () => {
    const dir = tempDir();
    const text = 'events {}\nhttp { server { listen 443 ssl; ssl_certificate in.pem; ssl_certificate_key in.key; } }\nserver { listen 443 ssl; ssl_certificate out.pem; ssl_certificate_key out.key; }\n';
    const main = writeFile(join(dir, 'nginx.conf'), text);
    const result = await readNginxConfig(main);
    expect(result.errors).toEqual([{ source: `${main}:3`, message: expect.stringContaining('"server" directive is not allowed here') }]);
    expect(result.bindings.map((b) => b.certificateFile)).toEqual([join(dir, 'in.pem')]);
  });
});
