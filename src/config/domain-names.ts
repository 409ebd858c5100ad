/**
 * The names a managed certificate asks for, as the config writes them. A CA compares names
 * case-insensitively and without the root's trailing dot, so `Example.com` and `example.com.` are
 * one name: they are normalised before anything compares them, and a duplicate is a config error
 * rather than a duplicate SAN in an order. The syntax check catches what people paste by mistake (a
 * URL, a port, a comma-separated list). An internationalised name (`bücher.example`) becomes its
 * A-label form (`xn--bcher-kva.example`, UTS #46 through node:url's domainToASCII, what browsers
 * do): a certificate and an ACME order hold only A-labels (RFC 5280 §7.2, RFC 8555 §7.1.4), so
 * the CSR, the order, `status` and `report` all use that one form.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** Lower case, without one trailing dot. IP addresses are kept as written. */
export function normalizeDomain(name: string): string {
  if (isIP(name) !== 0) return name.toLowerCase();
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * A name as it goes into a certificate: normalised, its U-labels as A-labels; or why it cannot
 * be one. The written form is checked first, so a URL or a port gets its own message rather than
 * "not a valid internationalised name".
 */
export function resolveDomainName(written: string): { name: string } | { problem: string } {
  const name = normalizeDomain(written);
  const problem = domainProblem(name);
  if (problem) return { problem };
  if (isIP(name) !== 0 || !needsIdna(name)) return { name };
  const wildcard = name.startsWith('*.');
  const ascii = domainToASCII(wildcard ? name.slice(2) : name);
  if (ascii === '' || isIP(ascii) !== 0) {
    return { problem: 'is not a valid internationalised domain name (IDNA, UTS #46): check for a character a host name cannot hold, or an xn-- label that is not valid punycode' };
  }
  const aLabels = (wildcard ? '*.' : '') + normalizeDomain(ascii);
  // The limits of 63 and 253 characters apply to the A-label form, which is longer.
  const afterConversion = domainProblem(aLabels);
  return afterConversion ? { problem: `${afterConversion} once written with A-labels (${aLabels})` } : { name: aLabels };
}

/** Non-ASCII text, or an A-label (xn--) whose punycode must be checked. */
function needsIdna(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(name) || name.split('.').some((label) => label.startsWith('xn--'));
}

const MAX_NAME = 253;
const MAX_LABEL = 63;
/** Letters, digits and hyphens inside, not at either end; non-ASCII (an IDN U-label) is let through to the IDNA step. */
const LABEL = /^[a-z0-9\u0080-\uffff](?:[a-z0-9\u0080-\uffff-]*[a-z0-9\u0080-\uffff])?$/;

/** Why a normalised name cannot be put in a certificate, or undefined when it can. */
export function domainProblem(name: string): string | undefined {
  if (isIP(name) !== 0) return undefined;
  if (name === '') return 'is empty';
  if (/\s/.test(name)) return 'contains white space';
  if (name.includes('://')) return 'is a URL: give the host name alone';
  if (name.includes(',')) return 'contains a comma: give each name as its own list entry';
  if (name.includes('/')) return 'contains a slash: give the host name alone';
  if (name.includes(':')) return 'contains a colon: a certificate name has no port';
  if (name.length > MAX_NAME) return `is longer than ${MAX_NAME} characters`;
  const labels = name.split('.');
  for (const [i, label] of labels.entries()) {
    if (label === '') return 'has an empty label (two dots in a row, or a leading dot)';
    if (label === '*' && i === 0 && labels.length > 1) continue;
    if (label.includes('*')) return 'has a wildcard that is not the whole first label (only *.example.com is allowed)';
    if (label.length > MAX_LABEL) return `has a label longer than ${MAX_LABEL} characters`;
    if (!LABEL.test(label)) return `has a label "${label}" with a character a host name cannot hold (letters, digits and inner hyphens only)`;
  }
  return undefined;
}
