/** Properties of the renderers the golden files do not make obvious. */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/cli/render/report.js';
import { md } from '../../../src/cli/render/report-markdown.js';
import { labelValue } from '../../../src/cli/render/report-prometheus.js';
import { reportJsonView, streamJson } from '../../../src/cli/render/report-json.js';
import type { ReadinessReport } from '../../../src/report/model.js';
import { fixtureReport } from './fixture.js';

const options = { color: false, cwd: '/srv', toolVersion: '1.2.3' };
const render = (r: ReadinessReport, f: Parameters<typeof renderReport>[1]) => [...renderReport(r, f, options)];

describe('report renderers', () => {
  const report = fixtureReport();

  it('JSON is the report, indented like JSON.stringify(report, null, 2) while small, and written in pieces', () => {
    expect(render(report, 'json').join('')).toBe(JSON.stringify(reportJsonView(report), null, 2) + '\n');
    // A large fleet: long arrays are streamed one compact element a line.
    const big = { ...report, certificates: Array.from({ length: 500 }, (_, i) => ({ ...report.certificates[i % report.certificates.length]!, fingerprintSha256: String(i) })) };
    const pieces = render(big, 'json');
    expect(pieces.length).toBeGreaterThan(500);
    const text = pieces.join('');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(reportJsonView(big))));
    expect(text.split('\n').filter((line) => line.startsWith('    {"fingerprintSha256":'))).toHaveLength(500);
    const shop = JSON.parse(text).certificates.find((c: { name: string }) => c.name === 'shop.example.com');
    expect(shop).toMatchObject({ locations: ['file /etc/ssl/shop/fullchain.pem', 'proxy /etc/nginx/sites-enabled/shop.conf:8'], findings: ['expiring'] });
  });

  it('the JSON streamer writes what JSON.stringify does, for awkward values too', () => {
    const value = { a: undefined, b: [undefined, 1, 'x'], c: Array.from({ length: 70 }, (_, i) => ({ i, nested: { deep: Array.from({ length: 70 }, () => i) }, u: undefined })), d: {}, e: [], f: [[Array.from({ length: 80 }, () => null)]] };
    expect(JSON.parse([...streamJson(value)].join(''))).toEqual(JSON.parse(JSON.stringify(value)));
    const small = { a: undefined, b: [undefined, 1, 'x'], d: {}, e: [] };
    expect([...streamJson(small)].join('')).toBe(JSON.stringify(small, null, 2) + '\n');
  });

  it('JSON carries the fields the issue asks for', () => {
    const doc = JSON.parse(render(report, 'json').join(''));
    expect(doc).toMatchObject({ schemaVersion: 1, asOf: '2026-11-22T00:00:00.000Z' });
    for (const d of doc.deadlines) {
      expect(Object.keys(d)).toEqual(expect.arrayContaining(['id', 'effective', 'maxValidityDays', 'score', 'violating']));
      expect(d.effective).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const v of d.violating) expect(Object.keys(v)).toEqual(expect.arrayContaining(['fingerprintSha256', 'reason']));
    }
    for (const a of doc.actions) expect(Object.keys(a)).toEqual(expect.arrayContaining(['title', 'certificates']));
  });

  it('CSV has a column per deadline saying what happens to the certificate there', () => {
    const rows = render(report, 'csv').join('').trimEnd().split('\r\n');
    const header = rows[0]!.split(',');
    expect(header.slice(-report.deadlines.length)).toEqual(report.deadlines.map((d) => d.id));
    const shop = rows.find((r) => r.includes(',shop.example.com,'))!;
    expect(shop.endsWith('breaks:lifetime,,,breaks:lifetime,,breaks:lifetime')).toBe(true);
    expect(rows.find((r) => r.includes(',dev.local,'))!.endsWith(',,,,,,')).toBe(true); // out of scope everywhere
    expect(rows).toHaveLength(report.certificates.length + 1);
  });

  it('Markdown escapes what would be markup', () => {
    expect(md('*.example.com | <b>x</b>')).toBe('\\*.example.com \\| \\<b\\>x\\</b\\>');
    const text = render(report, 'markdown').join('');
    expect(text).toContain('\\*.internal.example.com');
    expect(text).not.toContain('<b>');
  });

  it('HTML escapes names and fetches nothing: no script, link, image, import or external URL', () => {
    const html = render(report, 'html').join('');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain("default-src 'none'");
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('@media print');
  });

  it('Prometheus label values escape backslash, quote and newline', () => {
    expect(labelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = render(report, 'prometheus').join('');
    expect(text).toContain('issuer="CN=Odd \\"CA\\", O=Commas, Inc."');
    const families = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]);
    expect(new Set(families).size).toBe(families.length);
    expect(text.match(/^certfleet_certificate_expiry_timestamp_seconds\{/gm)).toHaveLength(report.certificates.length);
  });

  it('SARIF locates proxy findings by config line, files relative to the working directory, endpoints logically', () => {
    const sarif = JSON.parse(render(report, 'sarif').join(''));
    type Location = { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } }; logicalLocations: Array<{ fullyQualifiedName: string }> };
    const results = sarif.runs[0].results as Array<{ ruleId: string; message: { text: string }; locations: Location[] }>;
    const shop = results.find((r) => r.ruleId === 'expiring' && r.message.text.startsWith('shop.example.com'))!;
    expect(shop.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'file:///etc/nginx/sites-enabled/shop.conf' }, region: { startLine: 8 } });
    const odd = results.find((r) => r.message.text.startsWith('odd.example.com') || r.message.text.startsWith('Quote'))!;
    expect(odd.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'odd%20dir/odd%2Ccert.pem', uriBaseId: 'SRCROOT' });
    const vpn = results.find((r) => r.ruleId === 'hostname-mismatch')!;
    expect(vpn.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toBe('vpn.example.com:443');
    // One deadline result per breaking certificate: its earliest deadline.
    const deadlineResults = results.filter((r) => r.ruleId.startsWith('deadline/'));
    const breaking = new Set(report.deadlines.flatMap((d) => d.violating.filter((v) => v.blocking).map((v) => v.fingerprintSha256)));
    expect(deadlineResults).toHaveLength(breaking.size);
    expect(sarif.runs[0].tool.driver.version).toBe('1.2.3');
  });
});
