/**
 * The subset of CycleCloud's node `filter` expressions the emulator understands: comparisons of a
 * node record key with a literal (`State === "Started"`, `CoreCount != 44`), membership in a set
 * of literals (`HostName in {"ip-0A010004", "ip-0A010005"}`, the form of the legacy
 * `instance-filter`), joined by `&&` and `||`, with parentheses. Anything else is rejected with
 * {@link FilterSyntaxError}.
 */

export type NodeFilter = (record: Readonly<Record<string, unknown>>) => boolean;

export class FilterSyntaxError extends Error {
  override readonly name = "FilterSyntaxError";
}

type Token =
  | { readonly kind: "ident"; readonly text: string }
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | {
      readonly kind: "op";
      readonly text: "===" | "==" | "!==" | "!=" | "&&" | "||" | "(" | ")" | "{" | "}" | ",";
    };

const OPERATORS = ["===", "!==", "==", "!=", "&&", "||", "(", ")", "{", "}", ","] as const;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const operator = OPERATORS.find((op) => rest.startsWith(op));
    if (operator !== undefined) {
      tokens.push({ kind: "op", text: operator });
      i += operator.length;
      continue;
    }
    const quoted = /^"((?:[^"\\]|\\.)*)"|^'((?:[^'\\]|\\.)*)'/.exec(rest);
    if (quoted) {
      const body = quoted[1] ?? quoted[2] ?? "";
      tokens.push({ kind: "literal", value: body.replace(/\\(.)/g, "$1") });
      i += quoted[0].length;
      continue;
    }
    const number = /^-?\d+(?:\.\d+)?/.exec(rest);
    if (number) {
      tokens.push({ kind: "literal", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word) {
      const text = word[0];
      if (text === "true" || text === "false") {
        tokens.push({ kind: "literal", value: text === "true" });
      } else if (text === "null" || text === "undefined") {
        tokens.push({ kind: "literal", value: null });
      } else {
        tokens.push({ kind: "ident", text });
      }
      i += text.length;
      continue;
    }
    throw new FilterSyntaxError(
      `unexpected character ${JSON.stringify(rest.charAt(0))} at offset ${String(i)}`,
    );
  }
  return tokens;
}

function describe(token: Token | undefined): string {
  if (token === undefined) {
    return "end of expression";
  }
  if (token.kind === "literal") {
    return JSON.stringify(token.value);
  }
  return token.text;
}

function matches(actual: unknown, expected: string | number | boolean | null): boolean {
  if (expected === null) {
    return actual === null || actual === undefined;
  }
  return actual === expected;
}

/** Compiles `source` into a predicate over node records; throws {@link FilterSyntaxError}. */
export function compileNodeFilter(source: string): NodeFilter {
  const tokens = tokenize(source);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isOp = (text: string): boolean => {
    const token = peek();
    return token?.kind === "op" && token.text === text;
  };

  const parseComparison = (): NodeFilter => {
    if (isOp("(")) {
      position += 1;
      const inner = parseOr();
      if (!isOp(")")) {
        throw new FilterSyntaxError(`expected ")" but found ${describe(peek())}`);
      }
      position += 1;
      return inner;
    }
    const key = peek();
    if (key?.kind !== "ident") {
      throw new FilterSyntaxError(`expected a node attribute name but found ${describe(key)}`);
    }
    position += 1;
    const operator = peek();
    if (operator?.kind === "ident" && operator.text === "in") {
      position += 1;
      return parseSet(key.text);
    }
    if (operator?.kind !== "op" || !["===", "==", "!==", "!="].includes(operator.text)) {
      throw new FilterSyntaxError(
        `expected ===, ==, !==, != or in after ${key.text} but found ${describe(operator)}`,
      );
    }
    position += 1;
    const literal = peek();
    if (literal?.kind !== "literal") {
      throw new FilterSyntaxError(
        `expected a string, number, boolean or null after ${operator.text} but found ${describe(literal)}`,
      );
    }
    position += 1;
    const negate = operator.text.startsWith("!");
    return (record) => matches(record[key.text], literal.value) !== negate;
  };

  /** `{ literal, literal, ... }` after `key in`. */
  const parseSet = (key: string): NodeFilter => {
    if (!isOp("{")) {
      throw new FilterSyntaxError(`expected "{" after ${key} in but found ${describe(peek())}`);
    }
    position += 1;
    const values: (string | number | boolean | null)[] = [];
    while (!isOp("}")) {
      const literal = peek();
      if (literal?.kind !== "literal") {
        throw new FilterSyntaxError(
          `expected a string, number, boolean or null in the set but found ${describe(literal)}`,
        );
      }
      values.push(literal.value);
      position += 1;
      if (isOp(",")) {
        position += 1;
      } else if (!isOp("}")) {
        throw new FilterSyntaxError(`expected "," or "}" in the set but found ${describe(peek())}`);
      }
    }
    position += 1;
    return (record) => values.some((value) => matches(record[key], value));
  };

  const parseAnd = (): NodeFilter => {
    let left = parseComparison();
    while (isOp("&&")) {
      position += 1;
      const first = left;
      const second = parseComparison();
      left = (record) => first(record) && second(record);
    }
    return left;
  };

  function parseOr(): NodeFilter {
    let left = parseAnd();
    while (isOp("||")) {
      position += 1;
      const first = left;
      const second = parseAnd();
      left = (record) => first(record) || second(record);
    }
    return left;
  }

  const filter = parseOr();
  if (position < tokens.length) {
    throw new FilterSyntaxError(`unexpected ${describe(peek())} at the end`);
  }
  return filter;
}
