/**
 * Could the CA's rate limits alone keep the fleet from being replaced in time? Per CA (each its
 * own budget), the time to order a new certificate for every configured one at its limits, from
 * what is left of the store's budget now (src/revocation/rate-budget-time.ts), against the
 * Baseline Requirements' revocation windows: a CA revokes within 24 hours (key compromise,
 * invalid domain validation) or 5 days (other misissuance), BR section 4.9.1.1; the report reads
 * them from the policy timeline (revocationDeadlines), the same ones the drill is measured
 * against. The limits are Let's Encrypt's published ones by default (src/acme/rate-limit-presets.ts,
 * https://letsencrypt.org/docs/rate-limits/) or the config's acme.rateLimits.
 *
 * A finding per CA whose time misses a window: a warning when it misses the shorter one only, an
 * error when it misses the longest too (then even a routine misissuance incident outlasts the
 * budget). Like the inventory's findings it gates only with --fail-on (gate.ts). Pure: the limits,
 * counts and used budget in, data out; it leaves out how long the orders themselves take, so it
 * is the floor under a real replacement, not a projection of one.
 */
import { caPresets } from '../acme/directory.js';
import type { RateLimit } from '../acme/rate-limit-presets.js';
import type { PolicyTimeline } from '../policy/timeline.js';
import { describeLimit, type UsedBudget } from '../renewal/rate-budget.js';
import { replacementHours, type CaShare } from '../revocation/rate-budget-time.js';

/** One CA's share of the configured certificates, and what its budget holds now. */
export interface RateBudgetInput extends CaShare {
  /** Units used now (the store's budget); absent: the report has no store, so none is counted. */
  used?: UsedBudget;
}

export const RATE_BUDGET_FINDING = 'rate-budget-revocation-window';

export interface RateBudgetCa {
  /** The CA's directory URL, and the name a person knows it by ("Let's Encrypt"). */
  ca: string;
  caName: string;
  certificates: number;
  /** Hours to order them all at the limits, from what is left now; 0: they fit in the budget now. */
  hours: number;
  /** The bucket that sets the time (`new-orders`, `registered-domain:<domain>`), its limit, and what of it is used. */
  limitedBy?: string;
  limit?: RateLimit;
  used?: number;
  /** False when no store was read: the time assumes an unused budget. */
  budgetRead: boolean;
  /** Each revocation window, shortest first: is the time within it? */
  windows: Array<{ id: string; hours: number; met: boolean }>;
  /** Absent when every window is met. */
  finding?: { id: typeof RATE_BUDGET_FINDING; severity: 'error' | 'warning' };
  /** One sentence: the time, the windows it misses or meets, and what to do. */
  message: string;
}

export interface RateBudgetReadiness {
  /** Slowest first. */
  cas: RateBudgetCa[];
}

export function assessRateBudget(inputs: readonly RateBudgetInput[], timeline: Pick<PolicyTimeline, 'revocationDeadlines' | 'caSchedules'>): RateBudgetReadiness | undefined {
  if (inputs.length === 0) return undefined;
  const deadlines = [...timeline.revocationDeadlines].sort((a, b) => a.hours - b.hours);
  const cas = inputs.map((input): RateBudgetCa => {
    const time = replacementHours({ count: input.count, perRegisteredDomain: input.perRegisteredDomain, limits: input.limits, ...(input.used ? { used: input.used } : {}) });
    const hours = round2(time.hours);
    const windows = deadlines.map((d) => ({ id: d.id, hours: d.hours, met: time.hours <= d.hours }));
    const missed = windows.filter((w) => !w.met);
    const caName = nameOf(input.ca, timeline);
    const entry: RateBudgetCa = {
      ca: input.ca,
      caName,
      certificates: input.count,
      hours,
      ...(time.limitedBy ? { limitedBy: time.limitedBy } : {}),
      ...(time.limit ? { limit: time.limit } : {}),
      ...(time.used !== undefined && input.used ? { used: time.used } : {}),
      budgetRead: input.used !== undefined,
      windows,
      message: '',
    };
    if (missed.length > 0) entry.finding = { id: RATE_BUDGET_FINDING, severity: missed.length === windows.length ? 'error' : 'warning' };
    entry.message = message(entry, missed);
    return entry;
  });
  cas.sort((a, b) => b.hours - a.hours || (a.ca < b.ca ? -1 : a.ca > b.ca ? 1 : 0));
  return { cas };
}

/**
 * "at Let's Encrypt's limits (300 new orders per account per 3 h, 120 used now), replacing 40,000
 * certificates takes 399 hours: longer than the 24-hour and 5-day revocation windows; ask ..."
 */
function message(c: RateBudgetCa, missed: RateBudgetCa['windows']): string {
  const limit = c.limit && c.limitedBy ? ` (${describeLimit(c.limitedBy, c.limit.limit, c.limit.windowMs)}${c.budgetRead ? `, ${(c.used ?? 0).toLocaleString('en-US')} used now` : ''})` : '';
  const what = `replacing ${c.certificates.toLocaleString('en-US')} certificate${c.certificates === 1 ? '' : 's'}`;
  const unread = c.budgetRead ? '' : ' (no state store read: as if none of the budget were used)';
  const head = `at ${c.caName}'s limits${limit}, ${what} ${c.hours === 0 ? 'fits in the rate budget now' : `takes ${Math.ceil(c.hours).toLocaleString('en-US')} hours`}${unread}`;
  const names = (ws: RateBudgetCa['windows']) => `the ${and(ws.map((w) => windowName(w.hours)))} revocation window${ws.length === 1 ? '' : 's'}`;
  if (missed.length === 0) return `${head}: within ${names(c.windows)}`;
  const met = c.windows.filter((w) => w.met);
  // A registered domain's limit counts every account's certificates: more accounts do not help there.
  const fix = c.limitedBy?.startsWith('registered-domain:')
    ? 'ask the CA for a rate-limit exemption, or put more names in fewer certificates (more accounts do not help: the limit counts across accounts)'
    : 'ask the CA for a rate-limit exemption or spread across accounts';
  return `${head}: longer than ${names(missed)}${met.length ? ` (within ${names(met)})` : ''}; ${fix}`;
}

/** 24 -> "24-hour", 120 -> "5-day". */
export function windowName(hours: number): string {
  return hours % 24 === 0 && hours >= 48 ? `${hours / 24}-day` : `${hours}-hour`;
}

function and(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

/** A preset's CA by the name its certificates carry (the timeline's issuer names), else the directory's host. */
function nameOf(directoryUrl: string, timeline: Pick<PolicyTimeline, 'caSchedules'>): string {
  const preset = Object.entries(caPresets).find(([, url]) => url === directoryUrl)?.[0];
  const schedule = preset ? timeline.caSchedules.find((s) => s.ca === preset) : undefined;
  if (schedule?.issuerMatch[0]) return schedule.issuerMatch[0];
  if (preset) return preset;
  try {
    return new URL(directoryUrl).host;
  } catch {
    return directoryUrl;
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
