/**
 * Where each value of a TOML document is written: the 1-based line of every key (and of every
 * array element), under the same path the parsed data has (`['tls', 'certificates', 1,
 * 'certFile']`). smol-toml gives no positions; this follows the document's structure (table
 * headers, arrays of tables, dotted keys, inline tables and arrays, all string forms, comments)
 * so a value is placed where it is written, not where its text first occurs. It runs only on text
 * the parser accepted, so it does not validate.
 */

type Path = Array<string | number>;

export function tomlValueLines(text: string): (path: Path) => number | undefined {
  const lines = new Map<string, number>();
  const scanner = new TomlScanner(text, (path, line) => {
    const key = JSON.stringify(path);
    if (!lines.has(key)) lines.set(key, line);
  });
  scanner.document();
  return (path) => lines.get(JSON.stringify(path));
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class TomlScanner {
  private pos = 0;
  private line = 1;
  /** Arrays of tables by concrete path: how many elements each has so far. */
  private readonly tableArrays = new Map<string, number>();

  constructor(
    private readonly text: string,
    private readonly record: (path: Path, line: number) => void,
  ) {}

  document(): void {
    let table: Path = [];
    for (;;) {
      this.skipBlank(true);
      if (this.pos >= this.text.length) return;
      if (this.text[this.pos] === '[') {
        table = this.header();
      } else {
        this.keyValue(table);
      }
      this.skipToLineEnd();
    }
  }

  /** `[a.b]` or `[[a.b]]`: the concrete path of the table it opens. */
  private header(): Path {
    const line = this.line;
    const isArray = this.text[this.pos + 1] === '[';
    this.pos += isArray ? 2 : 1;
    const keys = this.key();
    this.skipBlank(false);
    this.pos += isArray ? 2 : 1;
    const concrete: Path = [];
    keys.forEach((key, index) => {
      concrete.push(key);
      const count = this.tableArrays.get(JSON.stringify(concrete));
      const last = index === keys.length - 1;
      if (last && isArray) {
        this.tableArrays.set(JSON.stringify(concrete), (count ?? 0) + 1);
        concrete.push(count ?? 0);
      } else if (count !== undefined) {
        concrete.push(count - 1); // a header inside the latest element of an array of tables
      }
    });
    this.record(concrete, line);
    return concrete;
  }

  private keyValue(table: Path): void {
    const line = this.line;
    const path = [...table, ...this.key()];
    this.skipBlank(false);
    if (this.text[this.pos] === '=') this.pos++;
    this.skipBlank(false);
    this.record(path, line);
    this.value(path);
  }

  /** A dotted key: bare or quoted parts separated by dots. */
  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const ch = this.text[this.pos];
      if (ch === '"' || ch === "'") {
        parts.push(this.string());
      } else {
        const start = this.pos;
        while (this.pos < this.text.length && BARE_KEY.test(this.text[this.pos]!)) this.pos++;
        parts.push(this.text.slice(start, this.pos));
      }
      this.skipBlank(false);
      if (this.text[this.pos] !== '.') return parts;
      this.pos++;
    }
  }

  private value(path: Path): void {
    const ch = this.text[this.pos];
    if (ch === '"' || ch === "'") {
      this.string();
    } else if (ch === '[') {
      this.pos++;
      for (let index = 0; ; index++) {
        this.skipBlank(true);
        if (this.text[this.pos] === ']' || this.pos >= this.text.length) break;
        this.record([...path, index], this.line);
        this.value([...path, index]);
        this.skipBlank(true);
        if (this.text[this.pos] === ',') this.pos++;
      }
      this.pos++;
    } else if (ch === '{') {
      this.pos++;
      for (;;) {
        this.skipBlank(true);
        if (this.text[this.pos] === '}' || this.pos >= this.text.length) break;
        this.keyValue(path);
        this.skipBlank(true);
        if (this.text[this.pos] === ',') this.pos++;
      }
      this.pos++;
    } else {
      while (this.pos < this.text.length && !/[,\]}\s#]/.test(this.text[this.pos]!)) this.pos++;
    }
  }

  /** Any of the four string forms; returns its raw content (escapes are irrelevant for keys here). */
  private string(): string {
    const quote = this.text[this.pos]!;
    const multi = this.text.startsWith(quote.repeat(3), this.pos);
    const delimiter = multi ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    const start = this.pos;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '\\' && quote === '"') {
        if (this.text[this.pos + 1] === '\n') this.line++;
        this.pos += 2;
        continue;
      }
      if (this.text.startsWith(delimiter, this.pos)) {
        // A multi-line string may end with up to two quotes of its own before the delimiter.
        let end = this.pos;
        while (multi && this.text[end + 3] === quote) end++;
        const content = this.text.slice(start, end);
        this.pos = end + delimiter.length;
        return content;
      }
      if (ch === '\n') this.line++;
      this.pos++;
    }
    return this.text.slice(start);
  }

  /** Blanks and comments; newlines too when `newlines` (between statements, inside arrays). */
  private skipBlank(newlines: boolean): void {
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === ' ' || ch === '\t' || ch === '\r') this.pos++;
      else if (ch === '#') this.skipComment();
      else if (ch === '\n' && newlines) {
        this.line++;
        this.pos++;
      } else return;
    }
  }

  private skipComment(): void {
    while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
  }

  private skipToLineEnd(): void {
    this.skipBlank(false);
    while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
  }
}
