/**
 * SARIF 2.1.0, so CI code scanning (GitHub, GitLab, Azure DevOps) shows certificate problems next
 * to the files that hold them. Rules: every inventory finding id, and one per deadline
 * (`deadline/<id>`). Results: each finding on a certificate or key, and, per certificate, the
 * earliest deadline it breaks at (the others it breaks at are named in the message).
 * Locations: a proxy source is its config file and line, a file source the file; a certificate
 * seen only on an endpoint gets a logical location `host:port`. Paths under the working directory
 * are relative to %SRCROOT% (what code scanning maps to the repository); others are file:// URIs.
 */
import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../../inventory/model.js';
import { findingKinds } from '../../policy/findings.js';
import type { CertificateSource } from '../../inventory/model.js';
import type { AssessedCertificate, ReadinessReport, ReportFinding, ViolatingCertificate } from '../../report/model.js';
import { RATE_BUDGET_FINDING } from '../../report/rate-budget.js';
import { deadlineTitle } from './report-text.js';

export interface SarifOptions {
  cwd: string;
  toolVersion: string;
}

type Level = 'error' | 'warning' | 'note';
const levelOf: Record<Severity, Level> = { error: 'error', warning: 'warning', info: 'note' };
const MAX_LOCATIONS = 5;

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: Level };
  properties: { tags: string[] };
}

export function* renderReportSarif(r: ReadinessReport, options: SarifOptions): Iterable<string> {
  const rules: Rule[] = Object.values(findingKinds).map((k) => ({
    id: k.id,
    name: pascal(k.id),
    shortDescription: { text: k.title },
    fullDescription: { text: `${k.title}. ${k.fix}` },
    help: { text: k.fix },
    defaultConfiguration: { level: levelOf[k.severity] },
    properties: { tags: ['certificate', 'tls'] },
  }));
  if (r.rateBudget?.cas.some((ca) => ca.finding)) {
    rules.push({
      id: RATE_BUDGET_FINDING,
      name: pascal(RATE_BUDGET_FINDING),
      shortDescription: { text: "Replacing the CA's certificates at its rate limits takes longer than a revocation window" },
      fullDescription: { text: "At the CA's rate limits (acme.rateLimits; Let's Encrypt's published limits by default), ordering a new certificate for every configured one of that CA takes longer than the Baseline Requirements' revocation windows (24 hours, 5 days; section 4.9.1.1)." },
      help: { text: 'Ask the CA for a rate-limit exemption, or spread the certificates across accounts (a per-registered-domain limit counts across accounts: put more names in fewer certificates instead).' },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['ca', 'rate-limit', 'revocation'] },
    });
  }
  const known = new Set(rules.map((rule) => rule.id));
  // Findings from a newer inventory than this certfleet knows still get a rule.
  for (const f of r.findings) {
    if (!known.has(f.id)) {
      known.add(f.id);
      rules.push({ id: f.id, name: pascal(f.id), shortDescription: { text: f.title }, fullDescription: { text: f.title }, help: { text: f.title }, defaultConfiguration: { level: levelOf[f.severity] }, properties: { tags: ['certificate', 'tls'] } });
    }
  }
  for (const d of r.deadlines) {
    rules.push({
      id: `deadline/${d.id}`,
      name: pascal(`deadline-${d.id}`),
      shortDescription: { text: `Breaks at ${deadlineTitle(d)}` },
      fullDescription: { text: `A certificate that will not make ${deadlineTitle(d)} if nothing changes: renewed by hand with a longer lifetime, a renewal schedule that fails at ${d.maxValidityDays} days, or a feature the CA refuses. Source: ${d.source}.` },
      help: { text: 'Automate its renewal (ACME, with ARI or at two thirds of the lifetime), or fix its schedule; see the readiness report.' },
      defaultConfiguration: { level: d.inForce ? 'error' : 'warning' },
      properties: { tags: ['certificate', 'tls', 'lifetime-deadline'] },
    });
  }
  const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i]));

  const rootUri = pathToFileURL(options.cwd.endsWith(sep) ? options.cwd : options.cwd + sep).href;
  const header = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'certfleet', version: options.toolVersion, semanticVersion: options.toolVersion, rules } },
        originalUriBaseIds: { SRCROOT: { uri: rootUri } },
        properties: { asOf: r.asOf, deadlines: r.deadlines.map((d) => ({ id: d.id, effective: d.effective, score: d.score })) },
        results: [] as unknown[],
      },
    ],
  };
  const text = JSON.stringify(header, null, 2);
  const marker = '"results": []';
  const at = text.lastIndexOf(marker);
  yield text.slice(0, at) + '"results": [';

  let first = true;
  const emit = (result: unknown): string => {
    const piece = (first ? '\n        ' : ',\n        ') + JSON.stringify(result);
    first = false;
    return piece;
  };
  const uri = (path: string) => artifactLocation(path, options.cwd);

  const earliest = earliestBreaks(r);
  for (const c of r.certificates) {
    for (const f of c.findings) {
      yield emit({
        ruleId: f.id,
        ruleIndex: ruleIndex.get(f.id),
        level: levelOf[f.severity],
        message: { text: `${c.name}: ${f.message}` },
        locations: certificateLocations(c, f, uri),
        partialFingerprints: { 'certfleetCertificate/v1': `${c.fingerprintSha256}:${f.id}` },
        properties: { fingerprintSha256: c.fingerprintSha256, notAfter: c.notAfter },
      });
    }
    const breaks = earliest.get(c.fingerprintSha256);
    if (breaks) {
      const [v, deadlineId, others] = breaks;
      const ruleId = `deadline/${deadlineId}`;
      yield emit({
        ruleId,
        ruleIndex: ruleIndex.get(ruleId),
        level: rules[ruleIndex.get(ruleId)!]!.defaultConfiguration.level,
        message: { text: `${c.name}: ${v.reason}${others.length ? ` (also breaks under ${others.join(', ')})` : ''}` },
        locations: certificateLocations(c, undefined, uri),
        partialFingerprints: { 'certfleetCertificate/v1': `${c.fingerprintSha256}:${ruleId}` },
        properties: { fingerprintSha256: c.fingerprintSha256, nextIssuance: v.nextIssuance, automation: v.automation },
      });
    }
  }
  for (const k of r.keys) {
    for (const f of k.findings) {
      yield emit({
        ruleId: f.id,
        ruleIndex: ruleIndex.get(f.id),
        level: levelOf[f.severity],
        message: { text: `${k.path}: ${f.message}` },
        locations: [{ physicalLocation: { artifactLocation: uri(k.path) } }],
        partialFingerprints: { 'certfleetKey/v1': `${k.path}:${f.id}` },
      });
    }
  }
  // A CA's budget has no file: it is located by the CA's directory URL.
  for (const ca of r.rateBudget?.cas ?? []) {
    if (!ca.finding) continue;
    yield emit({
      ruleId: RATE_BUDGET_FINDING,
      ruleIndex: ruleIndex.get(RATE_BUDGET_FINDING),
      level: levelOf[ca.finding.severity],
      message: { text: ca.message },
      locations: [{ logicalLocations: [{ name: ca.caName, fullyQualifiedName: ca.ca, kind: 'resource' }] }],
      partialFingerprints: { 'certfleetCa/v1': `${ca.ca}:${RATE_BUDGET_FINDING}` },
      properties: { hours: ca.hours, certificates: ca.certificates },
    });
  }
  yield (first ? ']' : '\n      ]') + text.slice(at + marker.length) + '\n';
}

/** For each certificate, the first deadline (in report order, which is by date) where it blocks, and the later ones. */
function earliestBreaks(r: ReadinessReport): Map<string, [ViolatingCertificate, string, string[]]> {
  const out = new Map<string, [ViolatingCertificate, string, string[]]>();
  for (const d of r.deadlines) {
    for (const v of d.violating) {
      if (!v.blocking) continue;
      const seen = out.get(v.fingerprintSha256);
      if (seen) seen[2].push(d.id);
      else out.set(v.fingerprintSha256, [v, d.id, []]);
    }
  }
  return out;
}

type Uri = { uri: string; uriBaseId?: string };

function certificateLocations(c: AssessedCertificate, f: ReportFinding | undefined, uri: (path: string) => Uri): unknown[] {
  const rank: Record<CertificateSource['kind'], number> = { proxy: 0, file: 1, endpoint: 2 };
  const sources = [...c.sources].sort((a, b) => Number(b.location === f?.location) - Number(a.location === f?.location) || rank[a.kind] - rank[b.kind]);
  return sources.slice(0, MAX_LOCATIONS).map((s) => {
    if (s.kind === 'endpoint') return { logicalLocations: [{ name: s.location, fullyQualifiedName: s.location, kind: 'resource' }] };
    if (s.kind === 'file') return { physicalLocation: { artifactLocation: uri(s.location) } };
    const physical: { artifactLocation: Uri; region?: { startLine: number } } = { artifactLocation: uri(s.configFile) };
    if (s.line > 0) physical.region = { startLine: s.line };
    return { physicalLocation: physical };
  });
}

function artifactLocation(path: string, cwd: string): Uri {
  const rel = relative(cwd, path);
  if (rel && !rel.startsWith('..') && !rel.startsWith(sep)) return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' };
  return { uri: pathToFileURL(path).href };
}

function pascal(id: string): string {
  return id.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
