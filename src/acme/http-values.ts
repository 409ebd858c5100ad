/**
 * Reading what an ACME response says besides its body: Retry-After (RFC 9110 10.2.3: delay
 * seconds or an HTTP date) and problem documents (RFC 7807), tolerating servers that send less.
 */
import type { AcmeProblem, AcmeSubproblem } from './errors.js';

/** Seconds to wait, or undefined when the header is absent or unreadable. Dates in the past give 0. */
export function parseRetryAfter(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function identifierValue(value: unknown): string | undefined {
  return isRecord(value) && typeof value.value === 'string' ? value.value : undefined;
}

/** A problem document from whatever the server sent; a body that is not one becomes a short `about:blank` problem. */
export function toProblem(body: unknown, status: number): AcmeProblem {
  if (isRecord(body) && typeof body.type === 'string') {
    const problem: AcmeProblem = { type: body.type };
    const detail = optionalString(body.detail);
    if (detail !== undefined) problem.detail = detail;
    if (typeof body.status === 'number') problem.status = body.status;
    const instance = optionalString(body.instance);
    if (instance !== undefined) problem.instance = instance;
    if (Array.isArray(body.subproblems)) {
      problem.subproblems = body.subproblems.filter(isRecord).map((sub): AcmeSubproblem => {
        const out: AcmeSubproblem = { type: optionalString(sub.type) ?? 'about:blank' };
        const subDetail = optionalString(sub.detail);
        if (subDetail !== undefined) out.detail = subDetail;
        const identifier = identifierValue(sub.identifier);
        if (identifier !== undefined) out.identifier = identifier;
        return out;
      });
    }
    return problem;
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  return { type: 'about:blank', detail: text ? `HTTP ${status}: ${text}` : `HTTP ${status} without a problem document`, status };
}

/** Optional problem inside an ACME object (an order's or a challenge's `error`). */
export function optionalProblem(value: unknown): AcmeProblem | undefined {
  return isRecord(value) && typeof value.type === 'string' ? toProblem(value, 0) : undefined;
}
