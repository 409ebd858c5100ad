import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { expectedNameFor, parseEndpointSpec, parseEndpointsFile, serverNameFor } from '../../src/inventory/sources/endpoint-spec.js';

function usageErrorOf(text: string): UsageError {
  try {
    parseEndpointSpec(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`'${text}' parsed, expected a UsageError`);
}

describe('parseEndpointSpec', () => {
  it('reads host:port', () => {
    expect(parseEndpointSpec('example.com:443')).toEqual({ host: 'example.com', port: 443, raw: 'example.com:443' });
  });

  it('reads IPv4 and bracketed IPv6', () => {
    expect(parseEndpointSpec('192.0.2.10:8443')).toMatchObject({ host: '192.0.2.10', port: 8443 });
    expect(parseEndpointSpec('[::1]:443')).toMatchObject({ host: '::1', port: 443 });
    expect(parseEndpointSpec('[2001:db8::5]:636,starttls=ldap')).toMatchObject({ host: '2001:db8::5', port: 636, starttls: 'ldap' });
  });

  it('reads sni and starttls in any order, trimming spaces and keeping the raw text', () => {
    expect(parseEndpointSpec('  mx.example.com:25, starttls=smtp ,sni=mail.example.com ')).toEqual({
      host: 'mx.example.com',
      port: 25,
      sni: 'mail.example.com',
      starttls: 'smtp',
      raw: 'mx.example.com:25, starttls=smtp ,sni=mail.example.com',
    });
  });

  it('accepts every STARTTLS protocol, case-insensitively', () => {
    for (const proto of ['smtp', 'imap', 'pop3', 'ftp', 'postgres', 'ldap', 'xmpp']) {
      expect(parseEndpointSpec(`h.example:1,starttls=${proto.toUpperCase()}`).starttls).toBe(proto);
    }
  });

  it('lower-cases host names and turns internationalised ones into punycode', () => {
    expect(parseEndpointSpec('WWW.Example.COM:443').host).toBe('www.example.com');
    expect(parseEndpointSpec('bücher.example:443').host).toBe('xn--bcher-kva.example');
    expect(parseEndpointSpec('h.example:443,sni=Bücher.Example').sni).toBe('xn--bcher-kva.example');
  });

  it('requires the port, even with starttls', () => {
    expect(usageErrorOf('example.com').message).toBe("missing port in endpoint 'example.com'");
    expect(usageErrorOf('mail.example.com,starttls=smtp').message).toMatch(/^missing port/);
    expect(usageErrorOf('[::1]').message).toMatch(/^missing port/);
    expect(usageErrorOf('example.com').hint).toContain('example.com:443');
  });

  it('names a bad port', () => {
    for (const port of ['0', '65536', 'https', '-1', '44 3', '']) {
      expect(usageErrorOf(`example.com:${port}`).message).toContain(`bad port '${port}'`);
    }
  });

  it('names an unknown option, a missing value, a duplicate and a stray comma', () => {
    expect(usageErrorOf('example.com:443,alpn=h2').message).toBe("unknown option 'alpn' in endpoint 'example.com:443,alpn=h2' (known: sni, starttls)");
    expect(usageErrorOf('example.com:443,sni').message).toMatch(/option 'sni' .* has no value/);
    expect(usageErrorOf('example.com:443,sni=').message).toMatch(/option 'sni' .* has an empty value/);
    expect(usageErrorOf('example.com:443,sni=a.example,sni=b.example').message).toMatch(/option 'sni' given twice/);
    expect(usageErrorOf('example.com:443,').message).toMatch(/empty option/);
  });

  it('names an unknown STARTTLS protocol and hints at implicit TLS', () => {
    const err = usageErrorOf('mail.example.com:465,starttls=smtps');
    expect(err.message).toMatch(/unknown STARTTLS protocol 'smtps'.*known: smtp, imap, pop3, ftp, postgres, ldap, xmpp/);
    expect(err.hint).toMatch(/leave starttls out/);
  });

  it('refuses an IP address as SNI', () => {
    expect(usageErrorOf('example.com:443,sni=192.0.2.1').message).toMatch(/sni '192.0.2.1' .* is an IP address/);
    expect(usageErrorOf('example.com:443,sni=::1').message).toMatch(/is an IP address/);
  });

  it('refuses unbracketed IPv6, bad IPv6, URLs and malformed host names', () => {
    expect(usageErrorOf('::1:443').message).toMatch(/needs brackets/);
    expect(usageErrorOf('[::g]:443').message).toMatch(/'::g' .* is not an IPv6 address/);
    expect(usageErrorOf('[::1:443').message).toMatch(/unclosed '\['/);
    expect(usageErrorOf('[::1]443').message).toMatch(/unexpected '443' after '\]'/);
    expect(usageErrorOf('https://example.com:443').message).toMatch(/looks like a URL/);
    expect(usageErrorOf('exa mple.com:443').message).toMatch(/not a valid host name/);
    expect(usageErrorOf('-bad.example:443').message).toMatch(/not a valid host name/);
    expect(usageErrorOf('999.1.1.1:443').message).toMatch(/not a valid host name or IP address/);
    expect(usageErrorOf(':443').message).toMatch(/missing host/);
    expect(usageErrorOf('   ').message).toBe('empty endpoint spec');
  });
});

describe('serverNameFor / expectedNameFor', () => {
  it('sends a DNS host as SNI, never an IP, and prefers the sni option', () => {
    expect(serverNameFor(parseEndpointSpec('example.com:443'))).toBe('example.com');
    expect(serverNameFor(parseEndpointSpec('example.com.:443'))).toBe('example.com');
    expect(serverNameFor(parseEndpointSpec('192.0.2.1:443'))).toBeUndefined();
    expect(serverNameFor(parseEndpointSpec('[::1]:443'))).toBeUndefined();
    expect(serverNameFor(parseEndpointSpec('192.0.2.1:443,sni=www.example.com'))).toBe('www.example.com');
  });

  it('checks the leaf against the SNI, else the host', () => {
    expect(expectedNameFor(parseEndpointSpec('192.0.2.1:443'))).toBe('192.0.2.1');
    expect(expectedNameFor(parseEndpointSpec('192.0.2.1:443,sni=www.example.com'))).toBe('www.example.com');
  });
});

describe('parseEndpointsFile', () => {
  it('reads one spec a line, skipping blanks and comments, and names file:line for each bad line', () => {
    const content = [
      '# production web',
      'www.example.com:443',
      '',
      '   mx.example.com:25,starttls=smtp   # the relay',
      'broken.example.com',
      '[::1]:8443,sni=localhost.example',
      'db.example.com:5432,starttls=mysql',
      '\t# indented comment',
    ].join('\r\n');
    const { specs, errors } = parseEndpointsFile(content, 'endpoints.txt');
    expect(specs.map((s) => s.raw)).toEqual(['www.example.com:443', 'mx.example.com:25,starttls=smtp', '[::1]:8443,sni=localhost.example']);
    expect(errors).toEqual([
      { source: 'endpoints.txt:5', message: "missing port in endpoint 'broken.example.com'" },
      { source: 'endpoints.txt:7', message: expect.stringMatching(/^unknown STARTTLS protocol 'mysql'/) },
    ]);
  });

  it('copes with a byte-order mark and an empty file', () => {
    expect(parseEndpointsFile('\uFEFFa.example:443\n', 'f').specs).toHaveLength(1);
    expect(parseEndpointsFile('', 'f')).toEqual({ specs: [], errors: [] });
  });
});
