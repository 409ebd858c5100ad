/**
 * How a schema problem in the config file reads in a message:
 * `certificates[2] (www).deploy.key: Invalid input: expected string, received number`, or
 * `(top level): Invalid input: expected object, received array`. zod's own `error.message` is
 * its issues as JSON (a first line of `[`), so nothing shows that to a user.
 */
import type { z } from 'zod';

/** `certificates[2].deploy.key`; `after(i)` may add text after segment i (a certificate's name). */
export function issuePath(path: readonly PropertyKey[], after: (i: number) => string = () => ''): string {
  const text = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`) + after(i)).join('').replace(/^\./, '');
  return text || '(top level)';
}

/** One issue as `path: message` (zod's message already names unknown keys and what it expected). */
export function issueText(issue: Pick<z.core.$ZodIssue, 'path' | 'message'>, after?: (i: number) => string): string {
  return `${issuePath(issue.path, after)}: ${issue.message}`;
}
