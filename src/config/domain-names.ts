/**
 * The names a managed certificate asks for, as the config writes them. A CA compares names
 * case-insensitively and without the root's trailing dot, so `Example.com` and `example.com.` are
 * one name: they are normalised before anything compares them, and a duplicate is a config error
 * rather than a duplicate SAN in an order. The syntax check catches what people paste by mistake (a
 * URL, a port, a comma-separated list); it is not a full IDN check (U-labels pass through as written).
 */
import { isIP } from 'node:net';

/** Lower case, without one trailing dot. IP addresses are kept as written. */
export function normalizeDomain(name: string): string {
  if (isIP(name) !== 0) return name.toLowerCase();
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

const MAX_NAME = 253;
const MAX_LABEL = 63;
/** Letters, digits and hyphens inside, not at either end; non-ASCII (an IDN U-label) is let through. */
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
