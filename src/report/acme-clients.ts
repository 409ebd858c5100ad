/**
 * Other ACME clients, recognised by where they keep certificates, and the renewal schedule each
 * uses out of the box. A certificate found under one of these paths is renewed by automation even
 * though certfleet does not manage it; its schedule is *assumed* (the report says so), because
 * only the client's own config knows what was changed. Figures: shared/reference/webpki-facts.md
 * ("Peers' renewal timing") and each client's documented defaults.
 */
import type { EffectiveSchedule } from './model.js';

interface AcmeClientLayout {
  client: string;
  /** Matched against the file's path (a proxy's certificate file counts too). */
  path: RegExp;
  schedule: Omit<EffectiveSchedule, 'client' | 'assumed'>;
}

const TWO_THIRDS = 2 / 3;

const layouts: AcmeClientLayout[] = [
  // certbot: systemd timer / cron twice a day; ARI first, else a third of the lifetime left.
  { client: 'certbot', path: /\/letsencrypt\/(live|archive)\//, schedule: { runIntervalMinutes: 720, usesAri: true, renewAtFraction: TWO_THIRDS } },
  // acme.sh: a daily cron; renews a fixed number of days after issuance.
  { client: 'acme.sh', path: /\/\.?acme\.sh\//, schedule: { runIntervalMinutes: 1440, usesAri: false, fixedDaysAfterIssuance: 30 } },
  // lego: no scheduler of its own (a daily cron is the documented pattern); v5 renews at a third left, ARI first.
  { client: 'lego', path: /\/\.?lego\/certificates\//, schedule: { runIntervalMinutes: 1440, usesAri: true, renewAtFraction: TWO_THIRDS } },
  // Caddy (CertMagic): checks every 10 minutes; ARI first, else a third left.
  { client: 'Caddy', path: /\/caddy\/certificates\//, schedule: { runIntervalMinutes: 10, usesAri: true, renewAtFraction: TWO_THIRDS } },
  // dehydrated: a daily cron; RENEW_DAYS=32 before expiry.
  { client: 'dehydrated', path: /\/dehydrated\/certs\//, schedule: { runIntervalMinutes: 1440, usesAri: false, fixedDaysBeforeExpiry: 32 } },
];

export interface RecognisedClient {
  client: string;
  path: string;
  schedule: EffectiveSchedule;
}

/** One schedule object per client, shared by its certificates (evaluations are cached per schedule object). */
const schedules = new Map<AcmeClientLayout, EffectiveSchedule>(layouts.map((l) => [l, Object.freeze({ ...l.schedule, client: l.client, assumed: true })]));

export function recogniseAcmeClient(paths: Iterable<string>): RecognisedClient | undefined {
  for (const path of paths) {
    const layout = layouts.find((l) => l.path.test(path));
    if (layout) return { client: layout.client, path, schedule: schedules.get(layout)! };
  }
  return undefined;
}
