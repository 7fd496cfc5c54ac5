/**
 * Splits a SQL text into its statements the way SQLite itself decides where one ends: a port of
 * `sqlite3_complete()` (sqlite/src/complete.c). A `;` ends a statement unless it sits in a string,
 * a quoted identifier or a comment, or inside the body of a `CREATE [TEMP] TRIGGER … BEGIN … END`
 * (which ends only at `END ;`). Comments (drizzle's `--> statement-breakpoint` among them) stay
 * attached to the statement that follows them; a piece holding only comments and blanks is dropped.
 * @example splitStatements("CREATE TABLE t (a);--> statement-breakpoint\nINSERT INTO t VALUES (';')")
 *   // ["CREATE TABLE t (a);", "--> statement-breakpoint\nINSERT INTO t VALUES (';')"]
 */

// Token classes of sqlite3_complete().
const SEMI = 0;
const WS = 1;
const OTHER = 2;
const EXPLAIN = 3;
const CREATE = 4;
const TEMP = 5;
const TRIGGER = 6;
const END = 7;

// States: 0 INVALID, 1 START (a statement just ended), 2 NORMAL, 3 EXPLAIN, 4 CREATE, 5 TRIGGER,
// 6 SEMI (a `;` inside a trigger body), 7 END (an END inside a trigger body).
const TRANSITIONS: readonly (readonly number[])[] = [
  /* 0 INVALID */ [1, 0, 2, 3, 4, 2, 2, 2],
  /* 1 START   */ [1, 1, 2, 3, 4, 2, 2, 2],
  /* 2 NORMAL  */ [1, 2, 2, 2, 2, 2, 2, 2],
  /* 3 EXPLAIN */ [1, 3, 3, 2, 4, 2, 2, 2],
  /* 4 CREATE  */ [1, 4, 2, 2, 2, 4, 5, 2],
  /* 5 TRIGGER */ [6, 5, 5, 5, 5, 5, 5, 5],
  /* 6 SEMI    */ [6, 6, 5, 5, 5, 5, 5, 7],
  /* 7 END     */ [1, 7, 5, 5, 5, 5, 5, 5],
];

const KEYWORDS: Record<string, number> = {
  create: CREATE,
  temp: TEMP,
  temporary: TEMP,
  trigger: TRIGGER,
  end: END,
  explain: EXPLAIN,
};

const isIdChar = (c: string) => /[0-9A-Za-z_$]/.test(c) || c.charCodeAt(0) >= 0x80;

/** The end (exclusive) of a quoted token that starts at `i`; a doubled closing quote is an escaped one. */
const quotedEnd = (sql: string, i: number, closer: string) => {
  let j = i + 1;
  for (;;) {
    const k = sql.indexOf(closer, j);
    if (k === -1) return sql.length;
    if (closer !== "]" && sql[k + 1] === closer) {
      j = k + 2;
      continue;
    }
    return k + 1;
  }
};

export const splitStatements = (sql: string): string[] => {
  const statements: string[] = [];
  let state = 0;
  let start = 0;
  let hasContent = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    let token: number;
    let end: number;
    if (c === ";") {
      token = SEMI;
      end = i + 1;
    } else if (/\s/.test(c)) {
      token = WS;
      end = i + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const close = sql.indexOf("*/", i + 2);
      token = WS;
      end = close === -1 ? sql.length : close + 2;
    } else if (c === "-" && sql[i + 1] === "-") {
      const newline = sql.indexOf("\n", i);
      token = WS;
      end = newline === -1 ? sql.length : newline + 1;
    } else if (c === "[") {
      token = OTHER;
      end = quotedEnd(sql, i, "]");
    } else if (c === "'" || c === '"' || c === "`") {
      token = OTHER;
      end = quotedEnd(sql, i, c);
    } else if (isIdChar(c)) {
      end = i + 1;
      while (end < sql.length && isIdChar(sql[end]!)) end++;
      token = KEYWORDS[sql.slice(i, end).toLowerCase()] ?? OTHER;
    } else {
      token = OTHER;
      end = i + 1;
    }
    state = TRANSITIONS[state]![token]!;
    if (token !== WS && token !== SEMI) hasContent = true;
    if (token === SEMI && state === 1) {
      if (hasContent) statements.push(sql.slice(start, end).trim());
      start = end;
      hasContent = false;
    }
    i = end;
  }
  if (hasContent) statements.push(sql.slice(start).trim());
  return statements;
};
