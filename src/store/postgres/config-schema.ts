/**
 * `store.postgres` in the config file, apart from the driver: every config load reads this schema,
 * and loading `pg` for it would cost every run (most of them on the file store) its startup time.
 */
import { z } from 'zod';
import { duration } from '../../config/duration.js';

const exactlyOne = (...keys: string[]) => (value: Record<string, unknown>) => keys.filter((k) => value[k] !== undefined).length === 1;

/**
 * `store.postgres` in the config file. The URL comes from exactly one place: inline (fine without a
 * password, e.g. peer or certificate auth), an environment variable, or a file (a secret mounted by
 * the service manager). The config owner plugs this into the config schema.
 */
export const postgresConfigSchema = z
  .strictObject({
    /** postgres://user[:password]@host[:port]/database[?sslmode=...] */
    url: z.string().min(1).optional(),
    /** The name of an environment variable holding the URL. */
    urlEnv: z.string().min(1).optional(),
    /** A file holding the URL (surrounding whitespace ignored). */
    urlFile: z.string().min(1).optional(),
    /** Connections this process opens at most (default 10). */
    maxConnections: z.number().int().min(1).max(1000).optional(),
    /** How long to wait for a connection to the server (default 10s). */
    connectTimeout: duration.optional(),
    /** How long one statement may run before the server cancels it (default 30s). */
    statementTimeout: duration.optional(),
  })
  .refine(exactlyOne('url', 'urlEnv', 'urlFile'), { message: 'give exactly one of url, urlEnv or urlFile' });

export type PostgresConfig = z.infer<typeof postgresConfigSchema>;
