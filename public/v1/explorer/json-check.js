// @ts-check
// Where and why a JSON text is invalid, with line and column, the same in every browser
// (JSON.parse messages differ between engines and often carry no position).

/** @param {string | undefined} c */
const describe = (c) => (c === undefined ? "the end of the text" : c === "\n" ? "a line break" : `“${c}”`);

/**
 * @param {string} text
 * @returns {undefined | {message: string, line: number, column: number}} undefined when valid
 */
export const jsonError = (text) => {
  let i = 0;
  /**
   * @param {string} message
   * @returns {never}
   */
  const fail = (message) => {
    throw Object.assign(new Error(message), { at: i });
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') return void i++;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("\\u must be followed by four hex digits");
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) {
          i++;
          fail(`invalid escape \\${e ?? ""} in a string`);
        }
        i += 2;
        continue;
      }
      if (c < " ") fail(c === "\n" ? "a string cannot span lines (write \\n)" : "control character in a string");
      i++;
    }
    fail('unterminated string: a closing " is missing');
  };
  const number = () => {
    const re = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || m[0] === "-") fail("invalid number");
    i = re.lastIndex;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    if (c === "'") fail("strings need double quotes, not single quotes");
    fail(`expected a value, found ${describe(c)}`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === "}") return void i++;
    for (;;) {
      ws();
      if (text[i] === "}") fail("trailing comma before “}”");
      if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(text[i])}`);
      string();
      ws();
      if (text[i] !== ":") fail(`expected “:” after the property name, found ${describe(text[i])}`);
      i++;
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") return void i++;
      fail(`expected “,” or “}”, found ${describe(text[i])}`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === "]") return void i++;
    for (;;) {
      ws();
      if (text[i] === "]") fail("trailing comma before “]”");
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") return void i++;
      fail(`expected “,” or “]”, found ${describe(text[i])}`);
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe(text[i])} after the end of the JSON value`);
    return undefined;
  } catch (caught) {
    const err = /** @type {Error & { at?: number }} */ (caught);
    const before = text.slice(0, err.at ?? i).split("\n");
    return { message: err.message, line: before.length, column: before[before.length - 1].length + 1 };
  }
};
