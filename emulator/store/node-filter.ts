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

type OperatorText = Extract<Token, { kind: "op" }>["text"];

/** One token at a time (sticky): space, an operator, a quoted string, a number or a word. */
const TOKEN =
  /\s+|(===|!==|==|!=|&&|\|\||[(){},])|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < source.length; i = TOKEN.lastIndex) {
    TOKEN.lastIndex = i;
    const match = TOKEN.exec(source);
    if (match === null) {
      throw new FilterSyntaxError(
        `unexpected character ${JSON.stringify(source.charAt(i))} at offset ${String(i)}`,
      );
    }
    const [, operator, double, single, number, word] = match;
    const quoted = double ?? single;
    if (operator !== undefined) {
      tokens.push({ kind: "op", text: operator as OperatorText });
    } else if (quoted !== undefined) {
      tokens.push({ kind: "literal", value: quoted.replace(/\\(.)/g, "$1") });
    } else if (number !== undefined) {
      tokens.push({ kind: "literal", value: Number(number) });
    } else if (word === "true" || word === "false") {
      tokens.push({ kind: "literal", value: word === "true" });
    } else if (word === "null" || word === "undefined") {
      tokens.push({ kind: "literal", value: null });
    } else if (word !== undefined) {
      tokens.push({ kind: "ident", text: word });
    }
  }
  return tokens;
}

function describe(token: Token | undefined): string {
  if (token === undefined) return "end of expression";
  if (token.kind === "literal") return JSON.stringify(token.value);
  return token.text;
}

function matches(actual: unknown, expected: string | number | boolean | null): boolean {
  if (expected === null) return actual === null || actual === undefined;
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
      if (!isOp(")")) throw new FilterSyntaxError(`expected ")" but found ${describe(peek())}`);
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
    if (!isOp("{")) throw new FilterSyntaxError(`expected "{" after ${key} in but found ${describe(peek())}`);
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

  /** Operands of `next` joined by `operator` (`&&` binds tighter than `||`). */
  const joined = (operator: "&&" | "||", next: () => NodeFilter): NodeFilter => {
    let left = next();
    while (isOp(operator)) {
      position += 1;
      const [first, second] = [left, next()];
      left =
        operator === "&&"
          ? (record) => first(record) && second(record)
          : (record) => first(record) || second(record);
    }
    return left;
  };
  function parseOr(): NodeFilter {
    return joined("||", () => joined("&&", parseComparison));
  }

  const filter = parseOr();
  if (position < tokens.length) throw new FilterSyntaxError(`unexpected ${describe(peek())} at the end`);
  return filter;
}
