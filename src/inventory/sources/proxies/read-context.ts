/**
 * What every proxy config reader carries while it walks a config and its includes: the errors it
 * met (each naming a file and line), the files it read, the bindings found, and the chain of files
 * being read now, so an include cycle is reported instead of followed for ever.
 */
import { readFile, stat } from 'node:fs/promises';
import type { InventoryError } from '../../model.js';
import type { ProxyBinding, ProxyConfigResult } from '../proxy-types.js';
import { describeFsError } from '../fs-errors.js';
import { pathInsideRoot } from './config-paths.js';

/** Deeper than any real config nests includes; past it something is wrong. */
export const MAX_INCLUDE_DEPTH = 64;
/** Real configs are kilobytes; anything this big was named by mistake. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Where a directive sits. `line` is 1-based; absent for a whole file (the main file unreadable). */
export interface ConfigPosition {
  file: string;
  line?: number;
}

export function formatPosition(position: ConfigPosition): string {
  return position.line === undefined ? position.file : `${position.file}:${position.line}`;
}

export class ConfigReadContext {
  readonly errors: InventoryError[] = [];
  readonly filesRead: string[] = [];
  readonly bindings: ProxyBinding[] = [];
  private readonly reading: string[] = [];

  constructor(readonly root: string | undefined) {}

  /** Record a problem at a place in a config; the message always starts with `file:line`. */
  error(position: ConfigPosition, message: string): void {
    const where = formatPosition(position);
    this.errors.push({ source: where, message: `${where}: ${message}` });
  }

  /**
   * Read one config file and hand its text to `parse`, with the file on the chain of files being
   * read while `parse` runs (so includes it follows can be checked for cycles). Returns undefined,
   * after recording why, when the file cannot be read, is already being read further up the
   * chain, or includes nest too deep. `from` is the directive that asked for it (absent for the
   * main file).
   */
  async readNested<T>(file: string, from: ConfigPosition | undefined, parse: (text: string) => Promise<T>): Promise<T | undefined> {
    const where = from ?? { file };
    if (this.reading.includes(file)) {
      this.error(where, `include cycle: ${[...this.reading, file].join(' -> ')}; not read again`);
      return undefined;
    }
    if (this.reading.length >= MAX_INCLUDE_DEPTH) {
      this.error(where, `includes nest deeper than ${MAX_INCLUDE_DEPTH} levels; ${file} not read`);
      return undefined;
    }
    const cannotRead = (why: string): undefined => {
      this.error(where, from ? `cannot read included file ${file}: ${why}` : `cannot read config: ${why}`);
      return undefined;
    };
    let text: string;
    try {
      // A FIFO or device would block the read for ever, and a huge file is no config: check first.
      const local = await pathInsideRoot(file, this.root);
      const info = await stat(local);
      if (info.isDirectory()) return cannotRead('is a directory');
      if (!info.isFile()) return cannotRead('not a regular file');
      if (info.size > MAX_CONFIG_BYTES) return cannotRead(`larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, not a config file`);
      text = await readFile(local, 'utf8');
    } catch (err) {
      return cannotRead(describeFsError(err));
    }
    if (!this.filesRead.includes(file)) this.filesRead.push(file);
    this.reading.push(file);
    try {
      return await parse(text);
    } finally {
      this.reading.pop();
    }
  }

  result(): ProxyConfigResult {
    return { bindings: this.bindings, errors: this.errors, filesRead: this.filesRead };
  }
}
