/**
 * Text a certificate or a server controls never reaches a terminal or a text file with its
 * control characters raw: a subject carrying ESC, BEL, CR and LF through every text renderer.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reportError } from '../../../src/cli/errors.js';
import { stderrLogger } from '../../../src/cli/logger.js';
import { escapeControls, escapeControlsKeepLines, escapeJsonControls } from '../../../src/cli/render/escape.js';
import { renderInventory } from '../../../src/cli/render/inventory.js';
import { renderAccount, renderRenewResult, renderStatus } from '../../../src/cli/render/renew.js';
import { renderReport, type ReportFormat } from '../../../src/cli/render/report.js';
import { renderRevoke } from '../../../src/cli/render/revocation.js';
import { CertfleetError } from '../../../src/errors.js';
import type { CertificateRecord, InventoryResult } from '../../../src/inventory/model.js';
import type { RenewRunResult } from '../../../src/renewal/run.js';
import type { StatusResult } from '../../../src/renewal/status.js';
import type { RevokeRunResult } from '../../../src/revocation/revoke.js';
import { fixtureReport } from '../report/fixture.js';

/** ESC ] 0 ; retitles a terminal, ESC [ 2 J clears it, BEL rings, CR/LF forge lines, U+009B is CSI to some terminals. */
const EVIL = 'CN=evil\u001b]0;owned\u0007\u001b[2J\r\nFAKE LINE\u009b31m\u007f';
const SHOWN = 'CN=evil\\x1b]0;owned\\x07\\x1b[2J\\r\\nFAKE LINE\\x9b31m\\x7f';

/** Any C0 control but line feed, DEL, or C1: what must never be written raw. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const cert: CertificateRecord = {
  fingerprintSha256: 'ab'.repeat(32), subject: EVIL, issuer: EVIL, serialNumber: '01', notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-02-01T00:00:00.000Z', lifetimeDays: 32, sans: [`${EVIL}.test`], commonName: EVIL, keyType: 'EC', keyBits: 256, curve: 'prime256v1',
  signatureAlgorithm: 'ecdsa-with-SHA256', weakSignature: false, publicKeyFingerprintSha256: 'cd'.repeat(32), isCA: false, selfIssued: false, selfSigned: false,
  authorityKeyId: undefined, subjectKeyId: undefined, mustStaple: false, hasOcspUrl: false,
  sources: [{ kind: 'file', location: `/etc/ssl/${EVIL}.pem`, format: 'pem' }, { kind: 'endpoint', location: 'a.test:443', host: 'a.test', port: 443, sni: EVIL } as CertificateRecord['sources'][number]],
  findings: [{ id: 'expired', severity: 'error', message: `expired: ${EVIL}` }],
};

const inventory: InventoryResult = {
  schemaVersion: 1, generatedAt: '2026-11-22T00:00:00.000Z', certificates: [cert], keys: [], errors: [{ source: `/etc/ssl/${EVIL}`, message: EVIL }],
  summary: { certificates: 1, keys: 0, errors: 1, findings: { error: 1, warning: 0, info: 0 }, sourcesScanned: { files: 1, proxyConfigs: 0, endpoints: 0 }, durationMs: 5 },
};

describe('escapeControls', () => {
  it('writes C0 controls, DEL and C1 controls as visible escapes, and leaves other text alone', () => {
    expect(escapeControls(EVIL)).toBe(SHOWN);
    expect(escapeControls('a\tb\u0000')).toBe('a\\tb\\x00');
    expect(escapeControls('shop.example.com, ümlaut.test, 東京.jp')).toBe('shop.example.com, ümlaut.test, 東京.jp');
    expect(escapeControlsKeepLines('line 1\nline 2\r\u001b[31m')).toBe('line 1\nline 2\\r\\x1b[31m');
  });

  it('JSON: DEL and C1 as \\u escapes, the same document', () => {
    const json = JSON.stringify({ s: EVIL });
    expect(json).toMatch(/[\u007f-\u009f]/); // JSON.stringify alone leaves them raw
    const safe = escapeJsonControls(json);
    expect(safe).not.toMatch(RAW);
    expect(JSON.parse(safe)).toEqual({ s: EVIL });
  });
});

describe('inventory renderers', () => {
  const render = (format: 'csv' | 'table' | 'json' | 'ndjson') => [...renderInventory(inventory, format, { color: false, cwd: '/' })].join('');

  it('CSV: every field one line, controls escaped', () => {
    const csv = render('csv');
    // eslint-disable-next-line no-control-regex
    expect(csv.replaceAll('\r\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    const row = csv.split('\r\n')[1]!;
    expect(row).toContain(`${'ab'.repeat(32)},${SHOWN},${SHOWN},01,`);
  });

  it('table: no control from the certificate reaches the terminal', () => {
    const table = render('table');
    expect(table).not.toMatch(RAW);
    expect(table).not.toContain('\nFAKE LINE');
    expect(table).toContain('\\x1b]0;owned');
  });

  it('JSON and NDJSON: the same data, nothing raw', () => {
    for (const format of ['json', 'ndjson'] as const) {
      const text = render(format);
      expect(text).not.toMatch(RAW);
      expect(JSON.parse(text.split('\n').find((l) => l.includes('"certificate"')) ?? text).subject ?? JSON.parse(text).certificates[0].subject).toBe(EVIL);
    }
  });
});

describe('report renderers', () => {
  const report = fixtureReport();
  report.certificates[0] = { ...report.certificates[0]!, name: EVIL, subject: EVIL, issuer: EVIL, names: [EVIL] };
  report.fleet = { ...report.fleet, managedNotInInventory: [EVIL] };
  report.actions = report.actions.map((a, i) => (i === 0 ? { ...a, title: EVIL, detail: EVIL } : a));
  report.deadlines = report.deadlines.map((d) => ({ ...d, violating: d.violating.map((v) => ({ ...v, name: EVIL, reason: EVIL })) }));
  const options = { color: false, cwd: '/srv', toolVersion: '0.0.0-test' };
  const render = (format: ReportFormat) => [...renderReport(report, format, options)].join('');

  it('fixture carries the hostile text into the renderers', () => {
    expect(report.actions.length).toBeGreaterThan(0);
    expect(report.deadlines.some((d) => d.violating.length > 0)).toBe(true);
  });

  for (const format of ['csv', 'markdown', 'summary', 'html', 'json', 'sarif', 'prometheus'] as const) {
    it(`${format}: nothing raw, the text shown escaped`, () => {
      const text = render(format);
      expect(text.replaceAll('\r\n', '\n')).not.toMatch(RAW);
      if (!['json', 'sarif'].includes(format)) expect(text).toMatch(/x1b\\?\]0;owned/); // Markdown writes ] as \]
    });
  }

  it('summary with colour still colours, with only its own escapes', () => {
    const text = [...renderReport(report, 'summary', { ...options, color: true })].join('');
    expect(text).toContain('\u001b[');
    expect(text).not.toContain('\u001b]0;');
    expect(text).not.toContain('\u0007');
  });
});

describe('renew and revocation renderers, errors and logs', () => {
  it('renew, status and account text escape what the CA and the certificate said', () => {
    const run = {
      schemaVersion: 1, startedAt: '2026-11-22T00:00:00.000Z', dryRun: false, problems: [EVIL],
      certificates: [{ name: 'www', action: 'failed', error: EVIL, explanation: 'due' }],
      summary: { renewed: 0, notDue: 0, wouldRenew: 0, failed: 1, durationMs: 1 },
    } as unknown as RenewRunResult;
    const status = {
      certificates: [
        { name: 'www', domains: [EVIL], serialNumber: '01', daysLeft: 3, issuer: EVIL, deployedPaths: [{ kind: 'key', path: `/etc/${EVIL}` }], verifyTargets: [EVIL], nextRenewalAt: 'x', explanation: 'due', consecutiveFailures: 1, lastError: EVIL, keptFiles: [] },
      ],
      orphaned: [{ name: 'old', serialNumber: '02', notAfter: 'y', removeCommand: 'certfleet remove old' }],
    } as unknown as StatusResult;
    const account = { directoryUrl: 'https://ca.test/dir', url: EVIL, status: 'valid', contact: [EVIL] } as unknown as Parameters<typeof renderAccount>[0];
    for (const text of [renderRenewResult(run, 'table'), renderStatus(status, 'table'), renderAccount(account, 'table'), renderRenewResult(run, 'json')].map((t) => t.join(''))) {
      expect(text).not.toMatch(RAW);
      expect(text).not.toContain('\nFAKE LINE');
    }
    expect(renderRenewResult(run, 'table').join('')).toContain(`www: FAILED: ${SHOWN}`);
  });

  it('revoke text escapes the CA error and issuer names', () => {
    const result = {
      dryRun: false, reason: 'keyCompromise', replaceFirst: false,
      certificates: [{ name: 'www', action: 'failed', serialNumber: '01', error: EVIL }],
      summary: { affected: 1, revoked: 0, alreadyRevoked: 0, notRevoked: 0, failed: 1, durationMs: 1 },
      blastRadius: { certificates: 1, names: 1, wildcards: 0, notIssued: 0, unreadable: 0, byIssuer: [{ key: EVIL, count: 1 }], byCa: [], sharedKeys: [], byHost: [] },
    } as unknown as RevokeRunResult;
    const text = renderRevoke(result, 'table').join('');
    expect(text).not.toMatch(RAW);
    expect(text).toContain(`by issuer: ${SHOWN} (1)`);
  });

  it('error messages and log lines keep their own line breaks and escape the rest', () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (d: Buffer) => (written += d.toString()));
    reportError(new CertfleetError('CA_ERROR', `the CA said: ${EVIL}\nsecond line`, { hint: EVIL }), out);
    stderrLogger({}, out).warn(`server said ${EVIL}`);
    expect(written).not.toMatch(RAW);
    expect(written).toContain('\nsecond line');
    expect(written).toContain('certfleet: warning: server said CN=evil\\x1b]0;owned');
  });
});
