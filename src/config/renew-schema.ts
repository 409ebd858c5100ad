/**
 * The `renew` part of the config file: the CA, the account, the policy, and the managed
 * certificates (the shape the issue names; documented in README "Managed certificates").
 */
import { z } from 'zod';
import { challengeConfigSchema } from '../challenges/config.js';
import { postgresConfigSchema } from '../store/postgres/config-schema.js';
import { storeEncryptionConfigSchema } from '../store/postgres/encryption.js';
import { keyTypes } from '../x509/generate-key.js';
import { duration } from './duration.js';
import { canonicalHostName, hostNameProblem } from './host-names.js';

const argv = z.array(z.string().min(1)).min(1, 'a command is an argv array with at least the program');
const commandList = z.array(argv);

const exactlyOne = (...keys: string[]) => (value: Record<string, unknown>) => keys.filter((k) => value[k] !== undefined).length === 1;

const eabSchema = z
  .strictObject({ kid: z.string().min(1), hmacKey: z.string().optional(), hmacKeyEnv: z.string().optional(), hmacKeyFile: z.string().optional() })
  .refine(exactlyOne('hmacKey', 'hmacKeyEnv', 'hmacKeyFile'), { message: 'give exactly one of hmacKey, hmacKeyEnv or hmacKeyFile' });

const rateLimitSchema = z.strictObject({ limit: z.number().int().min(1), per: duration });

/**
 * The CA's rate limits as one budget every runner takes from before ordering: a preset
 * (src/acme/rate-limit-presets.ts), `none`, or the limits themselves.
 */
const rateLimitsSchema = z.union([
  z.string().min(1),
  z.strictObject({ newOrders: rateLimitSchema.optional(), perRegisteredDomain: rateLimitSchema.optional() }),
]);

const accountSchema = z.strictObject({
  email: z.email().optional(),
  /** Several contacts (mailto: URLs); email is the short form of one. */
  contact: z.array(z.string()).optional(),
  eab: eabSchema.optional(),
  /** The CA's terms of service must be accepted explicitly, as with certbot --agree-tos. */
  acceptTermsOfService: z.boolean().optional(),
});

export const acmeSectionSchema = z.strictObject({
  /** A preset (letsencrypt, letsencrypt-staging, zerossl, google, buypass) or a directory URL. */
  server: z.string().min(1),
  /** PEM file trusted for the ACME server's HTTPS (a private ACME server). */
  caBundle: z.string().optional(),
  account: accountSchema.optional(),
  profile: z.string().optional(),
  /** Where `renew --dry-run` orders (a preset's staging directory is the default; a CA without one needs this). */
  dryRunServer: z.string().min(1).optional(),
  /** Per request to the CA (default 30s). */
  timeout: duration.optional(),
  /**
   * Names the CA takes in one certificate (default 100, Let's Encrypt's limit). It lives with the
   * CA because it is the CA's limit: a certificate whose own acme section names another CA can
   * set that CA's.
   */
  maxNames: z.number().int().min(1).optional(),
  /** Default: the `letsencrypt` preset when server is `letsencrypt`, none (unlimited) otherwise. */
  rateLimits: rateLimitsSchema.optional(),
});

const octalMode = z.union([z.number().int().min(0).max(0o777), z.string().regex(/^0?[0-7]{3}$/, 'an octal mode such as 0640')]);

const deploySchema = z.strictObject({
  cert: z.string().optional(),
  chain: z.string().optional(),
  fullchain: z.string().optional(),
  key: z.string().optional(),
  /** Key + certificate + chain in one file (HAProxy `crt`). */
  combined: z.string().optional(),
  mode: octalMode.optional(),
  keyMode: octalMode.optional(),
  /** `user:group` (names or numbers). */
  owner: z.string().regex(/^[^:\s]+:[^:\s]+$/, 'user:group').optional(),
  commands: commandList.optional(),
  commandTimeout: duration.optional(),
  /** Create missing deploy directories (off: a missing one is a typo such as /etc/ngnix/, reported). */
  createDirectories: z.boolean().optional(),
});

const certificateSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore (it names a directory)'),
    domains: z.array(z.string().min(1)).min(1),
    key: z.enum(keyTypes).optional(),
    reuseKey: z.boolean().optional(),
    challenge: challengeConfigSchema,
    /** Per-certificate overrides of the top-level acme section. */
    acme: acmeSectionSchema.partial().optional(),
    deploy: deploySchema.optional(),
    pre: commandList.optional(),
    post: commandList.optional(),
    verify: z.array(z.string()).optional(),
    verifyTimeout: duration.optional(),
    /**
     * The hosts that serve it (order once, deploy everywhere): the runner orders it, each host's
     * `certfleet agent --host NAME` deploys it. Needs store.postgres (agents read the shared store).
     */
    hosts: z.array(z.string()).min(1, 'name at least one host, or leave hosts out').optional(),
  })
  .superRefine((c, ctx) => {
    // Twice in any case: `Web-1` and `web-1` are one host (host-names.ts).
    const canonical = c.hosts?.map(canonicalHostName);
    c.hosts?.forEach((h, j) => {
      const problem = hostNameProblem(h);
      if (problem) ctx.addIssue({ code: 'custom', path: ['hosts', j], message: `"${h}" ${problem}` });
      else if (canonical!.indexOf(canonical![j]!) !== j) ctx.addIssue({ code: 'custom', path: ['hosts', j], message: `"${h}" is listed twice` });
    });
    // A CA validates a wildcard only through DNS (RFC 8555 §7.1.3, Let's Encrypt's rule): caught
    // here, naming the certificate and the name, rather than as an order the CA refuses.
    if (c.challenge.type === 'dns-01') return;
    // dns-persist-01 validates a wildcard through its base name's record, which must say policy=wildcard.
    if (c.challenge.type === 'dns-persist-01') {
      const wildcard = c.domains.findIndex((d) => d.trim().startsWith('*.'));
      if (wildcard >= 0 && c.challenge.policy !== 'wildcard') ctx.addIssue({ code: 'custom', path: ['challenge', 'policy'], message: `"${c.domains[wildcard]}" is a wildcard name: dns-persist-01 validates it only with policy: wildcard` });
      return;
    }
    c.domains.forEach((d, j) => {
      if (d.trim().startsWith('*.')) {
        ctx.addIssue({ code: 'custom', path: ['domains', j], message: `"${d}" is a wildcard name: only a dns-01 challenge can validate it (this certificate's challenge is ${c.challenge.type})` });
      }
    });
  });

export const renewPolicySchema = z.strictObject({
  timelineFile: z.string().optional(),
  maxLifetimeDays: z.number().int().min(1).max(398).optional(),
  minRenewalInterval: duration.optional(),
});

export const certificatesSchema = z.array(certificateSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `duplicate certificate name "${c.name}"`, path: [i, 'name'] });
    seen.add(c.name);
  });
});

/**
 * Where renew keeps its state: without `postgres`, the state directory (stateDir) as always. The
 * PostgreSQL store holds private keys encrypted: every command that opens it needs the key (refused
 * when the store is opened, before anything connects: open-store.ts), except an agent that reads the
 * keys wrapped to its host, whose config may leave it out. A key without `postgres` is for
 * `--store URL`, which names the database on the command line but never carries the key.
 */
export const storeSectionSchema = z
  .strictObject({
    postgres: postgresConfigSchema.optional(),
    ...storeEncryptionConfigSchema.shape,
    /**
     * How long a certificate's lease lasts unless its runner renews it (every third of it): how
     * long a killed runner's certificates wait before another runner takes them (default 5m).
     */
    leaseTtl: duration.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.encryptionKeyFile !== undefined && s.encryptionKeyEnv !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['encryptionKeyEnv'], message: 'give one of encryptionKeyFile or encryptionKeyEnv, not both' });
    }
  });

export type StoreSection = z.infer<typeof storeSectionSchema>;
export type AcmeSection = z.infer<typeof acmeSectionSchema>;
export type ManagedCertificateConfig = z.infer<typeof certificateSchema>;
export type DeployConfig = z.infer<typeof deploySchema>;
