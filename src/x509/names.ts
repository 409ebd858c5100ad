/**
 * Does a certificate cover a name? RFC 6125 matching as browsers do it: SAN DNS names and IPs
 * only (no CN fallback), case-insensitive, a wildcard only as the whole left-most label.
 */
import { isIP } from 'node:net';

export function coversName(sans: readonly string[], name: string): boolean {
  const wanted = name.toLowerCase().replace(/\.$/, '');
  if (isIP(wanted)) return sans.includes(wanted);
  for (const san of sans) {
    const pattern = san.toLowerCase();
    if (pattern === wanted) return true;
    // A server_name of "*.example.com" is covered only by the same wildcard, handled above.
    if (pattern.startsWith('*.') && !wanted.startsWith('*.')) {
      const suffix = pattern.slice(1); // ".example.com"
      const dot = wanted.indexOf('.');
      if (dot > 0 && wanted.slice(dot) === suffix) return true;
    }
  }
  return false;
}
