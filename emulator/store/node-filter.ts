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

type Literal = string | number | boolean | null;

type Token =
  | { readonly kind: "ident"; readonly text: string }
  | { readonly kind: "literal"; readonly value: Literal }
  /** `===`, `==`, `!==`, `!=`, `&&`, `||` or one of `(){},`. */
  | { readonly kind: "op"; readonly text: string };

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
      tokens.push({ kind: "op", text: operator });
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

function matches(actual: unknown, expected: Literal): boolean {
  return expected === null ? actual === null || actual === undefined : actual === expected;
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
  /** Consumes the operator `text` if it comes next. */
  const takeOp = (text: string): boolean => {
    if (!isOp(text)) return false;
    position += 1;
    return true;
  };

  /** Consumes the operator `text`, or throws naming what was found instead. */
  const expectOp = (text: string, where = ""): void => {
    if (!takeOp(text))
      throw new FilterSyntaxError(`expected "${text}"${where} but found ${describe(peek())}`);
  };
  const expectLiteral = (where: string): Literal => {
    const token = peek();
    if (token?.kind !== "literal") {
      throw new FilterSyntaxError(
        `expected a string, number, boolean or null ${where} but found ${describe(token)}`,
      );
    }
    position += 1;
    return token.value;
  };

  const parseComparison = (): NodeFilter => {
    if (takeOp("(")) {
      const inner = parseOr();
      expectOp(")");
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
    const value = expectLiteral(`after ${operator.text}`);
    const negate = operator.text.startsWith("!");
    return (record) => matches(record[key.text], value) !== negate;
  };

  /** `{ literal, literal, ... }` after `key in`. */
  const parseSet = (key: string): NodeFilter => {
    expectOp("{", ` after ${key} in`);
    const values: Literal[] = [];
    while (!takeOp("}")) {
      values.push(expectLiteral("in the set"));
      if (!takeOp(",") && !isOp("}")) {
        throw new FilterSyntaxError(`expected "," or "}" in the set but found ${describe(peek())}`);
      }
    }
    return (record) => values.some((value) => matches(record[key], value));
  };

  /** Operands of `next` joined by `operator` (`&&` binds tighter than `||`). */
  const joined = (operator: "&&" | "||", next: () => NodeFilter): NodeFilter => {
    let left = next();
    while (takeOp(operator)) {
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
