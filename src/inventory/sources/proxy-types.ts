/**
 * What every proxy config reader returns: the certificate/key pairs a proxy is told to serve,
 * and where it was told so. Readers follow includes; they never read certificate files themselves.
 */
import type { InventoryError, ProxyKind } from '../model.js';

export interface ProxyBinding {
  proxy: ProxyKind;
  /** Absolute path of the config file that names the certificate. */
  configFile: string;
  /** 1-based line of the directive. */
  line: number;
  /** Names the proxy serves with this certificate (server_name, ServerName/ServerAlias, crt-list SNI filters, Traefik rules). Empty: unknown / default server. */
  serverNames: string[];
  /** Absolute path of the certificate (or combined PEM) file. */
  certificateFile: string;
  /** Absolute path of the key; undefined when the key is expected inside certificateFile. */
  keyFile?: string;
  /** Absolute path of a separate chain file (Apache SSLCertificateChainFile). */
  chainFile?: string;
}

export interface ProxyConfigResult {
  bindings: ProxyBinding[];
  errors: InventoryError[];
  /** Every config file that was read (main file and includes), absolute. */
  filesRead: string[];
}

export interface ProxyReadOptions {
  /**
   * Treat absolute paths in the config as relative to this directory (scanning a mounted copy of
   * another machine's file system). Undefined: paths are used as they are.
   */
  root?: string;
  /**
   * Names Apache httpd is started with `-D` (Debian: APACHE_ARGUMENTS in /etc/apache2/envvars;
   * RHEL: OPTIONS in /etc/sysconfig/httpd), for `<IfDefine>`. A config's own `Define` adds to them.
   */
  apacheDefines?: readonly string[];
}
