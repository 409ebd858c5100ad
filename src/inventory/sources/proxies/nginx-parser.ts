/**
 * nginx's config syntax, read the way ngx_conf_read_token reads it: words split on blanks, `"` and
 * `'` quoting, backslash escapes, `#` comments only where a word could start, `$var` / `${var}`
 * left as written, `;` ending a directive and `{ }` wrapping a block. One file at a time; includes
 * are followed by the caller. Syntax errors are returned, not thrown, and parsing goes on after
 * them so the rest of the file still counts.
 */

export interface NginxDirective {
  name: string;
  args: string[];
  file: string;
  /** 1-based line of the directive's name. */
  line: number;
  /** Present for block directives (`server { ... }`), even when empty. */
  block?: NginxDirective[];
}

export interface NginxSyntaxError {
  line: number;
  message: string;
}

interface Word {
  value: string;
  line: number;
}

type Terminator = ';' | '{' | '}' | 'eof';

interface Statement {
  words: Word[];
  terminator: Terminator;
  /** Line of the terminator (where nginx itself reports most errors). */
  line: number;
}

const BLANK = new Set([' ', '\t', '\r', '\n']);

/** nginx's word copy: `\"`, `\'`, `\\` lose the backslash; `\t`, `\r`, `\n` become control characters. */
function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const next = raw[i + 1];
    if (ch === '\\' && next !== undefined) {
      if (next === '"' || next === "'" || next === '\\') {
        out += next;
        i++;
        continue;
      }
      const control = next === 't' ? '\t' : next === 'r' ? '\r' : next === 'n' ? '\n' : undefined;
      if (control !== undefined) {
        out += control;
        i++;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** Splits text into statements; syntax problems go to `errors` and the scan resumes after them. */
class Scanner {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly errors: NginxSyntaxError[],
  ) {}

  /** Skip the rest of the current line after an error, so one mistake gives one message. */
  private skipLine(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end === -1 ? this.text.length : end;
  }

  next(): Statement {
    // A statement spoiled by a syntax error comes back undefined; scanning resumes on the next line.
    for (;;) {
      const statement = this.scan();
      if (statement) return statement;
    }
  }

  private scan(): Statement | undefined {
    const text = this.text;
    const words: Word[] = [];
    let lastSpace = true;
    let sharpComment = false;
    let quoted = false;
    let singleQuoted = false;
    let doubleQuoted = false;
    let needSpace = false;
    let variable = false;
    let start = 0;
    let startLine = this.line;

    for (;;) {
      if (this.pos >= text.length) {
        if (singleQuoted || doubleQuoted) {
          this.errors.push({ line: startLine, message: `unterminated ${doubleQuoted ? 'double' : 'single'}-quoted string (it runs to the end of the file)` });
        } else if (words.length > 0 || !lastSpace) {
          this.errors.push({ line: words[0]?.line ?? startLine, message: 'unexpected end of file, expecting ";" or "}"' });
        }
        return { words: [], terminator: 'eof', line: this.line };
      }
      const ch = text[this.pos++]!;
      if (ch === '\n') {
        this.line++;
        if (sharpComment) sharpComment = false;
      }
      if (sharpComment) continue;
      if (quoted) {
        quoted = false;
        continue;
      }
      if (needSpace) {
        if (BLANK.has(ch)) {
          lastSpace = true;
          needSpace = false;
          continue;
        }
        if (ch === ';' || ch === '{') return { words, terminator: ch, line: this.line };
        if (ch === ')') {
          lastSpace = true;
          needSpace = false;
        } else {
          this.errors.push({ line: this.line, message: `unexpected "${ch}" after a quoted string` });
          this.skipLine();
          return undefined;
        }
      }
      if (lastSpace) {
        if (BLANK.has(ch)) continue;
        start = this.pos - 1;
        startLine = this.line;
        switch (ch) {
          case ';':
          case '{':
            if (words.length === 0) {
              this.errors.push({ line: this.line, message: `unexpected "${ch}"` });
              if (ch === ';') continue;
            }
            return { words, terminator: ch, line: this.line };
          case '}':
            if (words.length !== 0) {
              this.errors.push({ line: this.line, message: 'unexpected "}" (the directive before it has no ";")' });
            }
            return { words: [], terminator: '}', line: this.line };
          case '#':
            sharpComment = true;
            continue;
          case '\\':
            quoted = true;
            lastSpace = false;
            continue;
          case '"':
            start++;
            doubleQuoted = true;
            lastSpace = false;
            continue;
          case "'":
            start++;
            singleQuoted = true;
            lastSpace = false;
            continue;
          case '$':
            variable = true;
            lastSpace = false;
            continue;
          default:
            lastSpace = false;
        }
        continue;
      }
      if (ch === '{' && variable) continue;
      variable = false;
      if (ch === '\\') {
        quoted = true;
        continue;
      }
      if (ch === '$') {
        variable = true;
        continue;
      }
      let found = false;
      if (doubleQuoted) {
        if (ch === '"') {
          doubleQuoted = false;
          needSpace = true;
          found = true;
        }
      } else if (singleQuoted) {
        if (ch === "'") {
          singleQuoted = false;
          needSpace = true;
          found = true;
        }
      } else if (BLANK.has(ch) || ch === ';' || ch === '{') {
        lastSpace = true;
        found = true;
      }
      if (found) {
        words.push({ value: unescape(text.slice(start, this.pos - 1)), line: startLine });
        if (ch === ';' || ch === '{') return { words, terminator: ch, line: this.line };
      }
    }
  }
}

/** Parse one file's text into its directive tree. */
export function parseNginxConfig(text: string, file: string): { directives: NginxDirective[]; errors: NginxSyntaxError[] } {
  const errors: NginxSyntaxError[] = [];
  const scanner = new Scanner(text, errors);
  const top: NginxDirective[] = [];
  // Open blocks, innermost last; an explicit stack so deep nesting cannot overflow the call stack.
  const open: Array<{ directive: NginxDirective; children: NginxDirective[] }> = [];
  const current = (): NginxDirective[] => open[open.length - 1]?.children ?? top;

  for (;;) {
    const statement = scanner.next();
    const [first, ...rest] = statement.words;
    if (statement.terminator === 'eof') {
      for (const unclosed of open.reverse()) {
        errors.push({ line: unclosed.directive.line, message: `"${unclosed.directive.name}" block is not closed: unexpected end of file, expecting "}"` });
      }
      return { directives: top, errors };
    }
    if (statement.terminator === '}') {
      if (open.length === 0) errors.push({ line: statement.line, message: 'unexpected "}" (no block is open here)' });
      else open.pop();
      continue;
    }
    if (!first) {
      // `{` with no name before it: still open a block so its `}` does not unbalance the rest.
      if (statement.terminator === '{') {
        const anonymous: NginxDirective = { name: '', args: [], file, line: statement.line, block: [] };
        open.push({ directive: anonymous, children: anonymous.block! });
      }
      continue;
    }
    const directive: NginxDirective = { name: first.value, args: rest.map((w) => w.value), file, line: first.line };
    current().push(directive);
    if (statement.terminator === '{') {
      directive.block = [];
      open.push({ directive, children: directive.block });
    }
  }
}
