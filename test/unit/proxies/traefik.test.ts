import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTraefikConfig } from '../../../src/inventory/sources/proxies/traefik.js';
import { hostsInRule } from '../../../src/inventory/sources/proxies/traefik-rules.js';
import { tempDir, writeFile } from '../../helpers/pki.js';

describe('Traefik router rules', () => {
  it('finds Host and HostSNI names, v2 and v3 style, and skips negations, regexps and the catch-all', () => {
    expect(hostsInRule('Host(`a.example`, `b.example`) && PathPrefix(`/x`)')).toEqual(['a.example', 'b.example']);
    expect(hostsInRule('(Host(`c.example`) || Host("d.example")) && !Host(`e.example`) || HostRegexp(`^f.+$`)')).toEqual([
      'c.example',
      'd.example',
    ]);
    expect(hostsInRule('HostSNI(`*`)')).toEqual([]);
    expect(hostsInRule('HostSNI(`db.example`)')).toEqual(['db.example']);
  });
});

describe('readTraefikConfig', () => {
  it('reads YAML certificates and the default certificate with exact lines', async () => {
    const dir = tempDir();
    const text = [
      'tls:', // 1
      '  certificates:', // 2
      '    - certFile: certs/a.crt', // 3
      '      keyFile: certs/a.key', // 4
      '    - keyFile: /etc/b.key', // 5
      '      certFile: /etc/b.crt', // 6
      '  stores:', // 7
      '    default:', // 8
      '      defaultCertificate:', // 9
      '        certFile: default.crt', // 10
      '        keyFile: default.key', // 11
    ].join('\n');
    const file = writeFile(join(dir, 'dynamic.yml'), text);
    const result = await readTraefikConfig(file);
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile, b.serverNames])).toEqual([
      [3, join(dir, 'certs', 'a.crt'), join(dir, 'certs', 'a.key'), []],
      [6, '/etc/b.crt', '/etc/b.key', []],
      [10, join(dir, 'default.crt'), join(dir, 'default.key'), []],
    ]);
  });

  it('ties router names to the only certificate, and only then', async () => {
    const dir = tempDir();
    const routers = [
      'http:',
      '  routers:',
      '    web: { rule: "Host(`www.example`) || Host(`example`)", tls: {} }',
      '    acme: { rule: "Host(`acme.example`)", tls: { certResolver: le } }',
      '    plain: { rule: "Host(`plain.example`)" }',
      'tcp:',
      '  routers:',
      '    db: { rule: "HostSNI(`db.example`)", tls: { passthrough: false } }',
      '    pass: { rule: "HostSNI(`pass.example`)", tls: { passthrough: true } }',
    ].join('\n');
    const one = writeFile(join(dir, 'one.yml'), `tls:\n  certificates:\n    - certFile: a.crt\n      keyFile: a.key\n${routers}\n`);
    expect((await readTraefikConfig(one)).bindings[0]!.serverNames).toEqual(['www.example', 'example', 'db.example']);

    const two = writeFile(join(dir, 'two.yml'), `tls:\n  certificates:\n    - certFile: a.crt\n    - certFile: b.crt\n${routers}\n`);
    expect((await readTraefikConfig(two)).bindings.map((b) => b.serverNames)).toEqual([[], []]);
  });

  it('reads TOML dynamic configs, case-insensitive keys, with lines', async () => {
    const dir = tempDir();
    const text = [
      '[[tls.certificates]]', // 1
      '  certFile = "/certs/a.crt"', // 2
      '  keyFile = "/certs/a.key"', // 3
      '', // 4
      '[[tls.certificates]]', // 5
      "  CertFile = '/certs/b.crt'", // 6
      '', // 7
      '[tls.stores.default.defaultCertificate]', // 8
      '  certFile = "/certs/a.crt"', // 9
      '  keyFile = "/certs/a.key"', // 10
      '', // 11
      '[http.routers.web]', // 12
      '  rule = "Host(`a.example`)"', // 13
      '  [http.routers.web.tls]', // 14
    ].join('\n');
    const result = await readTraefikConfig(writeFile(join(dir, 'dynamic.toml'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile])).toEqual([
      [2, '/certs/a.crt', '/certs/a.key'],
      [6, '/certs/b.crt', undefined],
      [9, '/certs/a.crt', '/certs/a.key'],
    ]);
  });

  it('follows a static config to its dynamic file and directory, re-rooting absolute paths', async () => {
    const root = tempDir();
    const etc = join(root, 'etc', 'traefik');
    const main = writeFile(
      join(etc, 'traefik.yml'),
      'entryPoints:\n  websecure:\n    address: ":443"\nproviders:\n  file:\n    filename: /etc/traefik/tls.toml\n    directory: dynamic\n',
    );
    writeFile(join(etc, 'tls.toml'), '[[tls.certificates]]\ncertFile = "/etc/ssl/one.crt"\nkeyFile = "/etc/ssl/one.key"\n');
    writeFile(join(etc, 'dynamic', 'b.yml'), 'tls:\n  certificates:\n    - certFile: two.crt\n');
    writeFile(join(etc, 'dynamic', 'sub', 'c.yaml'), 'tls:\n  certificates:\n    - certFile: three.crt\n');
    writeFile(join(etc, 'dynamic', 'notes.txt'), 'tls: not a config');

    const result = await readTraefikConfig(main, { root });
    expect(result.errors).toEqual([]);
    expect(result.filesRead).toEqual([main, join(etc, 'tls.toml'), join(etc, 'dynamic', 'b.yml'), join(etc, 'dynamic', 'sub', 'c.yaml')]);
    expect(result.bindings.map((b) => [b.configFile, b.certificateFile, b.keyFile])).toEqual([
      [join(etc, 'tls.toml'), join(root, 'etc', 'ssl', 'one.crt'), join(root, 'etc', 'ssl', 'one.key')],
      [join(etc, 'dynamic', 'b.yml'), join(etc, 'dynamic', 'two.crt'), undefined],
      [join(etc, 'dynamic', 'sub', 'c.yaml'), join(etc, 'dynamic', 'sub', 'three.crt'), undefined],
    ]);
  });

  it('reports syntax errors, missing files, templates, inline PEM and a self-reference with file and line', async () => {
    const dir = tempDir();
    const badYaml = writeFile(join(dir, 'bad.yml'), 'tls:\n  certificates:\n    - certFile: [a\nhttp: x\n');
    const badToml = writeFile(join(dir, 'bad.toml'), '[[tls.certificates]]\ncertFile = "a.crt\n');
    const odd = writeFile(
      join(dir, 'odd.yml'),
      [
        'tls:',
        '  certificates:',
        '    - certFile: "{{ env `CERT` }}"',
        '    - certFile: |',
        '        -----BEGIN CERTIFICATE-----',
        '    - keyFile: only.key',
        '    - certFile: fine.crt',
      ].join('\n'),
    );
    const loop = writeFile(join(dir, 'traefik.yml'), 'providers:\n  file:\n    filename: traefik.yml\n    directory: absent\n');

    const yaml = await readTraefikConfig(badYaml);
    expect(yaml.errors).toEqual([{ source: `${badYaml}:4`, message: expect.stringContaining('not valid YAML') }]);
    const toml = await readTraefikConfig(badToml);
    expect(toml.errors).toEqual([{ source: `${badToml}:2`, message: expect.stringContaining('not valid TOML') }]);

    const oddResult = await readTraefikConfig(odd);
    expect(oddResult.errors.map((e) => [e.source, e.message.replace(/^.*?: /, '')])).toEqual([
      [`${odd}:3`, expect.stringContaining('Go template')],
      [`${odd}:4`, expect.stringContaining('PEM itself')],
      [`${odd}:6`, expect.stringContaining('certFile is missing')],
    ]);
    expect(oddResult.bindings.map((b) => [b.line, b.certificateFile])).toEqual([[7, join(dir, 'fine.crt')]]);

    const loopResult = await readTraefikConfig(loop);
    expect(loopResult.errors.map((e) => e.source)).toEqual([`${loop}:3`, `${loop}:4`]);
    expect(loopResult.errors[0]!.message).toContain('include cycle');
    expect(loopResult.errors[1]!.message).toContain('cannot list');
  });
});

describe('readTraefikConfig: lines of TOML entries', () => {
  it('reports each entry at its own line, not where its path first occurs in the file', async () => {
    const dir = tempDir();
    const text = [
      '# certFile = "/certs/a.crt" (an old setting)', // 1
      '[http.serversTransports.mtls]', // 2
      '  certificates = [ { certFile = "/certs/a.crt", keyFile = "/certs/a.key" } ]', // 3: a client certificate
      '', // 4
      '[tls.stores.default.defaultCertificate]', // 5
      '  certFile = "/certs/a.crt"', // 6
      '  keyFile = """', // 7: a multi-line string
      '/certs/a.key"""', // 8
      '', // 9
      '[[tls.certificates]]', // 10
      "  certFile = '/certs/a.crt'", // 11
      '[[tls.certificates]]', // 12
      '  keyFile = "/certs/b.key"', // 13: no certFile: the entry's own header line
      '[tls]', // 14
      '  options.modern.minVersion = "VersionTLS13"', // 15
    ].join('\n');
    const file = writeFile(join(dir, 'dynamic.toml'), text);
    const result = await readTraefikConfig(file);
    expect(result.errors).toEqual([{ source: `${file}:12`, message: expect.stringContaining('certFile is missing') }]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile])).toEqual([
      [11, '/certs/a.crt'],
      [6, '/certs/a.crt'],
    ]);
  });

  it('places entries of inline arrays of tables spread over lines', async () => {
    const dir = tempDir();
    const text = [
      'tls.certificates = [', // 1
      '  { certFile = "/certs/a.crt" },', // 2
      '  # { certFile = "/certs/a.crt" } was the second entry', // 3: a comment
      '  {', // 4
      '    keyFile = "/certs/a.crt",', // 5: the same text, as another key
      '    certFile = "/certs/a.crt"', // 6
      '  },', // 7
      ']', // 8
    ].join('\n');
    const result = await readTraefikConfig(writeFile(join(dir, 'inline.toml'), text));
    expect(result.errors).toEqual([]);
    expect(result.bindings.map((b) => [b.line, b.certificateFile, b.keyFile])).toEqual([
      [2, '/certs/a.crt', undefined],
      [6, '/certs/a.crt', '/certs/a.crt'],
    ]);
  });
});
