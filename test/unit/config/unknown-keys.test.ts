/**
 * A misspelt key is named once, at its own path, with the key it probably meant; the problems it
 * causes (a required key missing, a rule about its object) are not listed again.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { closestKey, editDistance } from '../../../src/config/unknown-keys.js';
import { ConfigError } from '../../../src/errors.js';

const challenge = { type: 'http-01', webroot: '/var/www' };
const www = { name: 'www', domains: ['www.example.com'], challenge };

/** The problem lines of the ConfigError, without the heading. */
function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'c.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    const [heading, ...lines] = (err as Error).message.split('\n');
    expect(heading).toBe('invalid config file c.yaml:');
    return lines.map((l) => l.trim());
  }
  throw new Error('expected the config to be refused');
}

describe('unknown keys', () => {
  it('names the key at its own path with the closest known key', () => {
    expect(problems({ certificates: [{ ...www, deplyo: {} }] })).toEqual(['certificates[0] (www).deplyo: unknown key; did you mean "deploy"?']);
    expect(problems({ certificats: [] })).toEqual(['certificats: unknown key; did you mean "certificates"?']);
    expect(problems({ acme: { server: 'letsencrypt', acount: {} } })).toEqual(['acme.acount: unknown key; did you mean "account"?']);
    expect(problems({ certificates: [{ ...www, deploy: { fulchain: '/a', key: '/b' } }] })).toEqual(['certificates[0] (www).deploy.fulchain: unknown key; did you mean "fullchain"?']);
    expect(problems({ certificates: [{ ...www, Domains: ['x.test'] }] })[0]).toBe('certificates[0] (www).Domains: unknown key; did you mean "domains"?');
  });

  it('chooses the known keys of the challenge type written', () => {
    expect(problems({ certificates: [{ ...www, challenge: { type: 'dns-01', provider: 'exec', command: ['/bin/true'], comand: ['x'] } }] })).toEqual([
      'certificates[0] (www).challenge.comand: unknown key; did you mean "command"?',
    ]);
    expect(problems({ certificates: [{ ...www, challenge: { type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1', tsig: { name: 'k', secret: 'aa', algoritm: 'x' } } }] })).toEqual([
      'certificates[0] (www).challenge.tsig.algoritm: unknown key; did you mean "algorithm"?',
    ]);
  });

  it('does not repeat the mistake as a missing key or a broken rule', () => {
    // zod alone: "domains: expected array, received undefined" and "Unrecognized key: domans".
    expect(problems({ certificates: [{ name: 'www', domans: ['x.test'], challenge }] })).toEqual(['certificates[0] (www).domans: unknown key; did you mean "domains"?']);
    // zod alone: "Unrecognized key: webrot" and "http-01 takes either webroot: DIR or standalone".
    expect(problems({ certificates: [{ ...www, challenge: { type: 'http-01', webrot: '/x' } }] })).toEqual(['certificates[0] (www).challenge.webrot: unknown key; did you mean "webroot"?']);
    // zod alone: "Invalid discriminator value" at challenge.type, and the typo never named.
    expect(problems({ certificates: [{ ...www, challenge: { tpye: 'http-01', webroot: '/x' } }] })).toEqual(['certificates[0] (www).challenge.tpye: unknown key; did you mean "type"?']);
    expect(problems({ inventory: { passwords: [{ match: '*.p12', pasword: 'x' }] } })).toEqual(['inventory.passwords[0].pasword: unknown key; did you mean "password"?']);
  });

  it('looks inside a union for the form the value was written in', () => {
    // zod alone: "inventory.endpoints[0]: Invalid input".
    expect(problems({ inventory: { endpoints: [{ hst: 'a.test', port: 443 }] } })).toEqual(['inventory.endpoints[0].hst: unknown key; did you mean "host"?']);
    expect(problems({ inventory: { paths: ['/etc/ssl', 7] } })).toEqual(['inventory.paths[1]: Invalid input: expected string, received number']);
  });

  it('lists the known keys when none is close, and every unknown key on its own line', () => {
    const lines = problems({ certificates: [{ ...www, email: 'a@b.test', verfy: [] }] });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^certificates\[0\] \(www\)\.email: unknown key \(known here: name, domains, key, .*challenge.*deploy/);
    expect(lines[1]).toBe('certificates[0] (www).verfy: unknown key; did you mean "verify"?');
  });

  it('keeps other problems as they were', () => {
    expect(problems({ certificates: [{ ...www, domains: [] }] })).toEqual(['certificates[0] (www).domains: Too small: expected array to have >=1 items']);
  });
});

describe('closest key', () => {
  it('counts a transposition as one edit and allows fewer edits in short keys', () => {
    expect(editDistance('deplyo', 'deploy')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestKey('prot', ['port', 'post'])).toBe('port');
    expect(closestKey('xyz', ['key', 'pre'])).toBeUndefined();
    expect(closestKey('email', ['name', 'domains', 'key'])).toBeUndefined();
  });
});

describe('wildcards', () => {
  it('are refused with any challenge but dns-01, naming the certificate and the name', () => {
    expect(problems({ certificates: [{ ...www, domains: ['example.com', '*.example.com'] }] })).toEqual([
      "certificates[0] (www).domains[1]: \"*.example.com\" is a wildcard name: only a dns-01 challenge can validate it (this certificate's challenge is http-01)",
    ]);
    expect(() => validateConfig({ certificates: [{ ...www, domains: ['*.example.com'], challenge: { type: 'dns-01', provider: 'exec', command: ['/bin/true'] } }] }, 'c.yaml')).not.toThrow();
  });
});
