/**
 * The inventory result: plain data, the one thing every renderer (table, JSON, NDJSON, CSV) and
 * every later command (report, renew) reads. Changing a field's meaning needs a schemaVersion bump.
 */
import type { CertificateInfo, KeyType } from '../x509/certificate.js';

export const INVENTORY_SCHEMA_VERSION = 1;

export type Severity = 'error' | 'warning' | 'info';
export const severityRank: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export interface Finding {
  id: string;
  severity: Severity;
  message: string;
  /** Where it applies, when it applies to one source only (a proxy line, an endpoint). */
  location?: string;
}

export type ProxyKind = 'nginx' | 'apache' | 'haproxy' | 'traefik';
export type FileFormat = 'pem' | 'der' | 'pkcs12' | 'jks' | 'jceks';
export type StartTlsProtocol = 'smtp' | 'imap' | 'pop3' | 'ftp' | 'postgres' | 'ldap' | 'xmpp';

/**
 * What a copy in certfleet's own deploy layout is (inventory/certfleet-homes.ts): `live` is served
 * (through the deploy paths); `previous` is another version kept for a rollback (or staged and never
 * made live); `as-found` is what was at the paths before certfleet took them over; `replaced` is a
 * file changed by hand that certfleet set aside before linking the path again.
 */
export type ManagedRole = 'live' | 'previous' | 'as-found' | 'replaced';

export interface ManagedBy {
  tool: 'certfleet';
  /** The managed certificate's name (`.certfleet-NAME`). */
  name: string;
  role: ManagedRole;
  /** The folder in the home: a version id (`20261122T101500Z-<serial>`), `as-found`, or `replaced-<time>`. */
  version?: string;
}

/**
 * Which kind of trust store a file is (inventory/trust-stores.ts says how each is recognised):
 * `system-bundle` a distribution's CA bundle at its known path (/etc/ssl/certs/ca-certificates.crt);
 * `ca-source` a file in (or a link into) a trust store's own folders (/usr/share/ca-certificates);
 * `java-cacerts` a Java `cacerts` keystore; `hash-dir` an OpenSSL CApath entry (`3513523f.0`);
 * `root-bundle` a PEM file of many self-signed certificates and nothing else (certifi's cacert.pem).
 */
export type TrustStoreKind = 'system-bundle' | 'ca-source' | 'java-cacerts' | 'hash-dir' | 'root-bundle';

/**
 * What the inventory does with certificates only trust stores hold: `anchors` lists them as trust
 * anchors and does not check them (the default), `check` lists and checks them like the fleet's
 * own, `skip` leaves them out of the result (they are still counted).
 */
export type TrustStoresMode = 'anchors' | 'check' | 'skip';
export const trustStoresModes: readonly TrustStoresMode[] = ['anchors', 'check', 'skip'];

export interface FileSource {
  kind: 'file';
  location: string;
  format: FileFormat;
  /** Position in a bundle (0-based) or keystore alias. */
  entry?: string;
  /** The file is in a certfleet deploy home, or is a deploy path linking into one. */
  managedBy?: ManagedBy;
  /** The file is (part of) a trust store: what it holds are roots clients trust, not certificates served. */
  trustStore?: TrustStoreKind;
}

export interface ProxySource {
  kind: 'proxy';
  /** `configFile:line` */
  location: string;
  proxy: ProxyKind;
  configFile: string;
  line: number;
  certificateFile: string;
  keyFile?: string;
  serverNames: string[];
  /** Where the certificate sits in what the proxy serves: 0 is the leaf. */
  chainPosition: number;
}

export interface EndpointSource {
  kind: 'endpoint';
  /** `host:port` */
  location: string;
  host: string;
  port: number;
  sni?: string;
  starttls?: StartTlsProtocol;
  protocol?: string;
  chainPosition: number;
  /** Whether the served chain validates against the system roots (or --ca). */
  trusted: boolean;
  trustError?: string;
  /** Whether the leaf matches the name asked for (SNI, else host). Only on the leaf. */
  nameMatches?: boolean;
}

export type CertificateSource = FileSource | ProxySource | EndpointSource;

export interface CertificateRecord extends CertificateInfo {
  sources: CertificateSource[];
  findings: Finding[];
  /**
   * Set when certfleet deployed it: the live version (role `live`, whichever of its paths were
   * scanned), or a copy it keeps (another version, the files found before it, files replaced by
   * hand). A kept copy that no other source shows (keptCopy) is not a certificate in service.
   */
  managedBy?: ManagedBy;
  /** Only in certfleet's deploy homes and not live: kept for a rollback or as found, not served; no expiry or strength checks. */
  keptCopy?: boolean;
  /**
   * Held by a system trust store and not the fleet's own (inventory/trust-stores.ts): a root
   * clients trust. Not checked (an expired root there is not an error) unless trustStores is `check`.
   */
  trustAnchor?: boolean;
}

export interface KeyRecord {
  path: string;
  /** SHA-256 of the public key (SubjectPublicKeyInfo DER); absent when the key is encrypted and no password opened it. */
  fingerprintSha256?: string;
  keyType: KeyType;
  keyBits: number;
  format: 'pkcs1' | 'pkcs8' | 'sec1' | 'pkcs12' | 'jks' | 'der' | 'unknown';
  encrypted: boolean;
  /** File mode bits (e.g. 0o600), when the file system told us. */
  mode?: number;
  matched: boolean;
  findings: Finding[];
  /** The key file is in a certfleet deploy home, or a deploy path linking into one. */
  managedBy?: ManagedBy;
}

export interface InventoryError {
  source: string;
  message: string;
}

export interface InventorySummary {
  /** Every certificate record, kept copies included. */
  certificates: number;
  /** Of those, copies certfleet keeps in its deploy homes and nothing serves (absent in files written before it existed). */
  keptCopies?: number;
  /**
   * Certificates only trust stores hold (trust anchors): listed in `certificates` and not checked,
   * checked too with trustStores `check`, left out of `certificates` with `skip` (absent in files
   * written before it existed).
   */
  trustAnchors?: number;
  keys: number;
  errors: number;
  findings: Record<Severity, number>;
  sourcesScanned: { files: number; proxyConfigs: number; endpoints: number };
  durationMs: number;
}

export interface InventoryResult {
  schemaVersion: typeof INVENTORY_SCHEMA_VERSION;
  generatedAt: string;
  certificates: CertificateRecord[];
  keys: KeyRecord[];
  errors: InventoryError[];
  summary: InventorySummary;
}
