/**
 * The inventory table keeps cli-table3's look (the expected text below is what cli-table3 0.6.5
 * printed for these records) at the cost of the data: wrapping, cutting with an ellipsis, East
 * Asian wide text, escapes of certificate-controlled text, the kept-copy cell, colour per line.
 */
import { describe, expect, it } from 'vitest';
import { renderInventory } from '../../../src/cli/render/inventory.js';
import type { CertificateRecord, InventoryResult } from '../../../src/inventory/model.js';

const base: CertificateRecord = {
  fingerprintSha256: 'ab'.repeat(32), subject: 'CN=a.test', issuer: "CN=R3, O=Let's Encrypt", serialNumber: '01', notBefore: '2025-11-01T00:00:00.000Z',
  notAfter: '2026-02-01T00:00:00.000Z', lifetimeDays: 90, sans: ['a.test'], commonName: 'a.test', keyType: 'EC', keyBits: 256, curve: 'prime256v1',
  signatureAlgorithm: 'ecdsa-with-SHA256', weakSignature: false, publicKeyFingerprintSha256: 'cd'.repeat(32), isCA: false, selfIssued: false, selfSigned: false,
  authorityKeyId: undefined, subjectKeyId: undefined, mustStaple: false, hasOcspUrl: false,
  sources: [{ kind: 'file', location: '/srv/a.pem', format: 'pem' }], findings: [],
};

const certificates: CertificateRecord[] = [
  base,
  {
    ...base, notAfter: '2026-01-10T00:00:00.000Z', sans: ['one.example.com', 'two.example.com', 'three.example.com', 'four.example.com', 'five'],
    findings: [{ id: 'expired', severity: 'error', message: 'expired 5 days ago' }, { id: 'sha1-signature', severity: 'warning', message: 'weak' }],
    sources: [
      { kind: 'file', location: '/srv/some/very/deep/directory/structure/that/is/long/cert.pem', format: 'pem' },
      { kind: 'proxy', proxy: 'nginx', location: '/etc/nginx/sites-enabled/default:12', configFile: '/etc/nginx/sites-enabled/default', line: 12, certificateFile: '/srv/a.pem', serverNames: [], chainPosition: 0 },
      { kind: 'endpoint', location: 'a.test:443', host: 'a.test', port: 443, sni: 'b.test', chainPosition: 0, trusted: true },
      { kind: 'file', format: 'pkcs12', location: '/srv/x.p12' },
    ],
  },
  {
    ...base, sans: [], subject: 'CN=Ünïcödé 日本語 host with a long name, OU=Some Department Of Things, O=Example Organisation GmbH & Co. KG, L=Zürich, C=CH',
    issuer: 'CN=Averyveryverylongissuernamewithoutanyspaces, O=X', findings: [{ id: 'a-very-long-finding-id-that-does-not-fit', severity: 'info', message: 'm' }],
  },
  { ...base, sans: ['evil\u001b[31m.test', 'tab\there'], keptCopy: true, managedBy: { tool: 'certfleet', name: 'shop\u0007', role: 'previous' } },
  { ...base, keyType: 'RSA', keyBits: 4096, issuer: 'O=No CN Here Corporation International, C=US', sans: ['日本語のドメイン名の例.jp', 'x'.repeat(40)] },
];

const result: InventoryResult = {
  schemaVersion: 1, generatedAt: '2026-01-15T00:00:00.000Z', certificates,
  keys: [{ path: '/srv/k.pem', keyType: 'EC', keyBits: 256, format: 'sec1', encrypted: false, matched: true, findings: [{ id: 'key-world-readable', severity: 'error', message: 'mode 644' }] }],
  errors: [{ source: '/srv/bad.pem', message: 'bad\u001b' }],
  summary: { certificates: 5, keptCopies: 1, keys: 1, errors: 1, findings: { error: 2, warning: 1, info: 1 }, sourcesScanned: { files: 1, proxyConfigs: 0, endpoints: 0 }, durationMs: 1234 },
};

const table = (r: InventoryResult, color = false) => [...renderInventory(r, 'table', { color, cwd: '/srv' })].join('');
// eslint-disable-next-line no-control-regex
const stripColour = (s: string) => s.replace(/\u001b\[\d+m/g, '');

/** Printed by the cli-table3 renderer this one replaces, for the records above. */
const CLI_TABLE3_OUTPUT = `┌─────────────┬────────────────────────────┬────────────────────┬─────────┬────────────────────────────────────┬──────────────────────────┐
│ Expires     │ Names                      │ Issuer             │ Key     │ Found in                           │ Findings                 │
├─────────────┼────────────────────────────┼────────────────────┼─────────┼────────────────────────────────────┼──────────────────────────┤
│ 2026-01-10  │ one.example.com            │ R3                 │ EC 256  │ nginx …nx/sites-enabled/default:12 │ expired                  │
│ 5d ago      │ two.example.com            │                    │         │ tls a.test:443 (b.test)            │ sha1-signature           │
│             │ three.example.com          │                    │         │ …y/structure/that/is/long/cert.pem │                          │
│             │ +2 more                    │                    │         │ +1 more                            │                          │
├─────────────┼────────────────────────────┼────────────────────┼─────────┼────────────────────────────────────┼──────────────────────────┤
│ 2026-02-01  │ CN=Ünïcödé 日本語 host     │ Averyveryverylong… │ EC 256  │ a.pem                              │ a-very-long-finding-id-… │
│ in 17d      │ with a long name, OU=Some  │                    │         │                                    │                          │
│             │ Department Of Things,      │                    │         │                                    │                          │
│             │ O=Example Organisation     │                    │         │                                    │                          │
│             │ GmbH & Co. KG, L=Zürich,   │                    │         │                                    │                          │
│             │ C=CH                       │                    │         │                                    │                          │
├─────────────┼────────────────────────────┼────────────────────┼─────────┼────────────────────────────────────┼──────────────────────────┤
│ 2026-02-01  │ a.test                     │ R3                 │ EC 256  │ a.pem                              │ ok                       │
│ in 17d      │                            │                    │         │                                    │                          │
├─────────────┼────────────────────────────┼────────────────────┼─────────┼────────────────────────────────────┼──────────────────────────┤
│ 2026-02-01  │ evil\\x1b[31m.test          │ R3                 │ EC 256  │ a.pem                              │ certfleet previous copy  │
│ in 17d      │ tab\\there                  │                    │         │                                    │ (shop\\x07)               │
├─────────────┼────────────────────────────┼────────────────────┼─────────┼────────────────────────────────────┼──────────────────────────┤
│ 2026-02-01  │ 日本語のドメイン名の例.jp  │ O=No CN Here       │ RSA     │ a.pem                              │ ok                       │
│ in 17d      │ xxxxxxxxxxxxxxxxxxxxxxxxx… │ Corporation        │ 4096    │                                    │                          │
│             │                            │ International,     │         │                                    │                          │
│             │                            │ C=US               │         │                                    │                          │
└─────────────┴────────────────────────────┴────────────────────┴─────────┴────────────────────────────────────┴──────────────────────────┘

Findings
  expired                  one.example.com: expired 5 days ago
  sha1-signature           one.example.com: weak
  a-very-long-finding-id-that-does-not-fit a.test: m

Private keys
  key-world-readable       k.pem: mode 644

Could not read
  bad.pem: bad\\x1b

5 certificates (1 kept copies of certfleet deployments: earlier versions, files found before it), 1 private keys; findings: 2 errors, 1 warnings, 1 info; 1 sources unreadable (1.2 s)
`;

describe('inventory table', () => {
  it('prints what cli-table3 printed: the same columns, wrapping, cuts, widths and escapes', () => {
    expect(table(result)).toBe(CLI_TABLE3_OUTPUT);
  });

  it('with colour, shows the same text, and colours each line of a cell on its own (no colour runs into a border)', () => {
    const coloured = table(result, true);
    expect(stripColour(coloured)).toBe(CLI_TABLE3_OUTPUT);
    const lines = coloured.split('\n');
    const kept = lines.findIndex((l) => l.includes('certfleet previous copy'));
    expect(lines[kept]).toContain('\u001b[2mcertfleet previous copy\u001b[22m  │');
    expect(lines[kept + 1]).toContain('\u001b[2m(shop\\x07)\u001b[22m');
    // A cut cell closes its colour before the padding and the border.
    expect(coloured).toContain('\u001b[2ma-very-long-finding-id-…\u001b[22m │');
    expect(lines.find((l) => l.includes('5d ago'))).toContain('\u001b[31m5d ago\u001b[39m      │');
  });

  it('past 500 rows says how many are not shown and how many of those have findings', () => {
    // How fast the table is against JSON is measured by `npm run bench:inventory table`, not here.
    const many: InventoryResult = {
      ...result,
      certificates: Array.from({ length: 10_000 }, (_, i) => ({
        ...certificates[i % 5]!, fingerprintSha256: i.toString(16).padStart(64, '0'),
        subject: `CN=Ünïcödé host ${i} with a long name, OU=Some Department Of Things, O=Example Organisation GmbH & Co. KG, L=Zürich, C=CH`,
        sans: i % 3 ? [] : [`host${i}.a-very-long-subdomain-name.example.com`, `www.host${i}.example.com`, 'c.test', 'd.test'],
        findings: [{ id: 'expiring', severity: 'warning', message: 'expires in 20 days' }, { id: 'weak-signature', severity: 'error', message: 'SHA-1' }],
      })),
    };
    expect(table(many)).toContain('(9500 more certificates not shown (9500 of them with findings); use --format json or csv for all)');
  });
});
