// regexSeparator=true: each line of a CSV_FILE source is matched by `regex` and its
// capture groups are the fields (log files and other text no separator can split). The
// first match in a line counts (anchor the regex with ^…$ to demand the whole line); a
// group that took no part in the match is NULL, an empty one the empty string; blank
// lines are skipped; a line the regex does not match is a malformed row.
import { errors } from '../../errors';
import { CsvSyntaxError, type CsvRecord } from './csv-format';
import { loneSurrogate } from './text-encoding';

export const REGEX_INPUT = 'fromJobConfig.regex';

/** The job's regex, checked: it must compile and capture at least one field. */
export function compileLineRegex(source: string | undefined): RegExp {
  if (!source) throw errors.invalidParameter(`fromJobConfig.regexSeparator true needs ${REGEX_INPUT}.`);
  let re: RegExp;
  try {
    re = unicodeRegex(source) ?? new RegExp(source);
  } catch (e) {
    throw errors.invalidParameter(`${REGEX_INPUT} is not a valid regular expression: ${(e as Error).message}.`);
  }
  // Matching the empty alternative reveals the group count without any input.
  const groups = new RegExp(`${source}|`, re.flags).exec('')!.length - 1;
  if (groups === 0) throw errors.invalidParameter(`${REGEX_INPUT} has no capture group: each group ( … ) is one field.`);
  return re;
}

/**
 * `source` matching by characters (code points), as Java's regexes do, so `(.{3})` never takes
 * half of an emoji; undefined when it is not valid in that mode (`\-` and other escapes it refuses).
 */
function unicodeRegex(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    return undefined;
  }
}

/** Incremental: feed decoded text, get back the lines completed so far as records. */
export class RegexLineParser {
  private buf = '';
  private line = 1;

  constructor(
    private readonly regex: RegExp,
    /** Undefined: a line ends at `\n`, with or without `\r`. */
    private readonly lineSeparator: string | undefined,
    /** A line the regex does not match comes back with `error` instead of throwing (dirty data). */
    private readonly recover = false,
  ) {}

  push(text: string): CsvRecord[] {
    this.buf += text;
    const sep = this.lineSeparator ?? '\n';
    const out: CsvRecord[] = [];
    let start = 0;
    for (let at = this.buf.indexOf(sep); at >= 0; at = this.buf.indexOf(sep, start)) {
      this.match(this.buf.slice(start, at), out);
      start = at + sep.length;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.buf !== '') this.match(this.buf, out);
    this.buf = '';
    return out;
  }

  private match(text: string, out: CsvRecord[]): void {
    // One line per separator: with a custom lineSeparator, "line" counts records.
    const line = this.line++;
    const body = this.lineSeparator === undefined && text.endsWith('\r') ? text.slice(0, -1) : text;
    if (body.trim() === '') return;
    const m = this.regex.exec(body);
    const fields = m?.slice(1).map((g) => g ?? null);
    let error: string | undefined;
    if (!fields) error = `the line does not match ${REGEX_INPUT}`;
    // Matching by UTF-16 units (a regex only valid so) can end a group inside a character; stored, each half would become U+FFFD.
    else if (!this.regex.unicode && fields.some((g) => g !== null && loneSurrogate(g) >= 0)) {
      error = `${REGEX_INPUT} splits a character of the line between groups`;
    }
    if (error === undefined) out.push({ fields: fields!, line, ...(this.recover && { raw: body }) });
    else if (this.recover) out.push({ fields: [], line, raw: body, error });
    else throw new CsvSyntaxError(line, error);
  }
}

