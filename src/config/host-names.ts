/**
 * A host's identity in the fleet: what a spec's `hosts:` lists and what `certfleet agent --host`
 * (default: the machine's hostname) and `store grant-agent --host` say it is. The store compares
 * them byte for byte (the GIN index on the specs' hosts, the row-level security policies, the
 * deployments' and heartbeats' keys), so every one is checked and put in one form here:
 * - a DNS host name (RFC 1123: labels of letters, digits and inner hyphens, at most 63 characters
 *   each, 253 in all). An underscore, an empty label or a leading hyphen is a typo or a pasted URL,
 *   and a host no agent can ever be is work nobody deploys;
 * - in lower case: DNS compares names without regard to case (RFC 4343), so `Web-1` and `web-1` are
 *   one host, and a spec written one way must reach the agent started the other way. Migration 009
 *   put the names already stored in this form.
 */

const MAX_NAME = 253;
const MAX_LABEL = 63;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Why `name` cannot be a host of the fleet, or undefined when it can. */
export function hostNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > MAX_NAME) return `is longer than ${MAX_NAME} characters`;
  for (const label of name.split('.')) {
    if (label === '') return 'has an empty label (a leading, trailing or doubled dot)';
    if (label.length > MAX_LABEL) return `has a label longer than ${MAX_LABEL} characters`;
    if (!LABEL.test(label)) return `is not a DNS host name (its label "${label}": letters, digits and inner hyphens only)`;
  }
  return undefined;
}

/**
 * The form the store keeps and compares a host name in: ASCII letters in lower case, nothing else
 * changed (a valid name is ASCII; String#toLowerCase would also fold non-ASCII letters, the Kelvin
 * sign into "k", and make a name valid that was not). Give it a name hostNameProblem accepted.
 */
export function canonicalHostName(name: string): string {
  return name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}
