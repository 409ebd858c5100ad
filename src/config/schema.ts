/**
 * The configuration file's shape. Strict: an unknown key is an error that names its path, so a
 * typo (`endpionts:`) is caught instead of silently ignored. Later commands add their sections here.
 */
import { z } from 'zod';
import { duration } from './duration.js';
import { acmeSectionSchema, certificatesSchema, renewPolicySchema, storeSectionSchema } from './renew-schema.js';

const severityOrNever = z.enum(['error', 'warning', 'info', 'never']);

const endpointObject = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  sni: z.string().optional(),
  starttls: z.enum(['smtp', 'imap', 'pop3', 'ftp', 'postgres', 'ldap', 'xmpp']).optional(),
});

const passwordRule = z
  .strictObject({
    match: z.string().optional(),
    password: z.string().optional(),
    passwordEnv: z.string().optional(),
    passwordFile: z.string().optional(),
  })
  .refine((r) => [r.password, r.passwordEnv, r.passwordFile].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of password, passwordEnv or passwordFile',
  });

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const inventorySection = z.strictObject({
  paths: stringList.optional(),
  exclude: stringList.optional(),
  nginx: stringList.optional(),
  apache: stringList.optional(),
  apacheDefines: stringList.optional(),
  haproxy: stringList.optional(),
  traefik: stringList.optional(),
  detectProxyConfigs: z.boolean().optional(),
  root: z.string().optional(),
  endpoints: z.array(z.union([z.string(), endpointObject])).optional(),
  endpointsFile: z.string().optional(),
  ca: stringList.optional(),
  passwords: z.array(passwordRule).optional(),
  failOn: severityOrNever.optional(),
  endpointConcurrency: z.number().int().min(1).max(10_000).optional(),
  connectTimeout: duration.optional(),
  handshakeTimeout: duration.optional(),
  workers: z.number().int().min(0).max(64).optional(),
  /** Certificates only system trust stores hold: `anchors` (listed, not checked), `check`, or `skip`. */
  trustStores: z.enum(['anchors', 'check', 'skip']).optional(),
});

export const configSchema = z.strictObject({
  /** Where renew keeps accounts, issued versions and state (default: see README). */
  stateDir: z.string().optional(),
  /** Where renew keeps its state instead of stateDir (store.postgres: a database shared by runners). */
  store: storeSectionSchema.optional(),
  inventory: inventorySection.optional(),
  acme: acmeSectionSchema.optional(),
  policy: renewPolicySchema.optional(),
  certificates: certificatesSchema.optional(),
});

export type CertfleetConfig = z.infer<typeof configSchema>;
export type InventoryConfig = z.infer<typeof inventorySection>;
export type EndpointConfigObject = z.infer<typeof endpointObject>;

export { duration, parseDuration } from './duration.js';
