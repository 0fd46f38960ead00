/**
 * Offline implementation of the Amazon EventBridge event-pattern matcher, written from the
 * documented semantics ("Creating event patterns", "Content filtering in Amazon EventBridge
 * event patterns", "Comparison operators for use in event patterns").
 *
 * A pattern is a nested object. Every field in it must match (AND); event fields absent from
 * the pattern are ignored. Leaf values are arrays whose elements are alternatives (OR): plain
 * JSON values for exact matching, or single-key operator objects. `$or` at any object level
 * holds alternative sub-patterns.
 */

import { parseIpAddress } from './ip-address.js';

export type EventPattern = Record<string, unknown>;

export type EventMatcher = (event: unknown) => boolean;

export class EventPatternError extends Error {
  /** Location of the offending part, e.g. `pattern.detail.price` or `pattern.$or[1].source`. */
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'EventPatternError';
    this.path = path;
  }
}

export function validateEventPattern(pattern: unknown): EventPattern {
  compilePatternObject(pattern, 'pattern');
  return pattern as EventPattern;
}

export function compileEventPattern(pattern: unknown): EventMatcher {
  const matchRoot = compilePatternObject(pattern, 'pattern');
  return (event) => matchRoot(event);
}

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

/** Matches one level of the event (an object, or `undefined` when there is nothing there). */
type NodeMatcher = (node: unknown) => boolean;
/** Matches the leaf values found at a field (empty when the field is absent or not a leaf). */
type LeafMatcher = (values: readonly unknown[]) => boolean;
/** Tests a single scalar event value. */
type ValueTest = (value: unknown) => boolean;

const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
] as const;

const NUMERIC_OPERATORS = ['<', '<=', '=', '>', '>='] as const;
type NumericOperator = (typeof NUMERIC_OPERATORS)[number];

const NO_VALUES: readonly unknown[] = Object.freeze([]);

function compilePatternObject(pattern: unknown, path: string): NodeMatcher {
  if (!isPlainObject(pattern)) {
    throw new EventPatternError(path, `expected a pattern object, got ${describe(pattern)}`);
  }
  const keys = Object.keys(pattern);
  if (keys.length === 0) {
    throw new EventPatternError(path, 'empty objects are not allowed');
  }
  const checks = keys.map((key) => compileField(key, pattern[key], path));
  return (node) => checks.every((check) => check(node));
}

function compileField(key: string, value: unknown, parentPath: string): NodeMatcher {
  const path = `${parentPath}.${key}`;
  if (key === '$or') {
    return compileOr(value, path);
  }
  if (Array.isArray(value)) {
    const matchLeaf = compileLeaf(value, path);
    return (node) => matchLeaf(leafValuesOf(fieldOf(node, key)));
  }
  if (isPlainObject(value)) {
    const matchChild = compilePatternObject(value, path);
    return (node) => matchNested(matchChild, fieldOf(node, key));
  }
  throw new EventPatternError(
    path,
    `expected an array of values to match or a nested pattern object, got ${describe(value)}`,
  );
}

function compileOr(value: unknown, path: string): NodeMatcher {
  if (!Array.isArray(value) || value.length < 2) {
    const got = Array.isArray(value) ? `${value.length} sub-pattern(s)` : describe(value);
    throw new EventPatternError(path, `$or expects an array of at least 2 sub-pattern objects, got ${got}`);
  }
  const alternatives = value.map((sub, index) => compilePatternObject(sub, `${path}[${index}]`));
  // The alternatives are evaluated against the same event level as the sibling fields.
  return (node) => alternatives.some((alternative) => alternative(node));
}

/**
 * A nested pattern descends into the event object at that key. When the event holds an array
 * there, the sub-pattern must match within a single element (arrays are sets of candidates).
 * When there is no object at all, the sub-pattern is still evaluated against "nothing" so that
 * `{"exists": false}` underneath a missing parent matches, as the flattened-path model implies.
 */
function matchNested(matchChild: NodeMatcher, value: unknown): boolean {
  const candidates = objectsOf(value);
  if (candidates.length === 0) return matchChild(undefined);
  return candidates.some(matchChild);
}

function compileLeaf(values: unknown[], path: string): LeafMatcher {
  if (values.length === 0) {
    throw new EventPatternError(path, 'empty arrays are not allowed');
  }
  const alternatives = values.map((element) => compileLeafElement(element, path));
  return (leafValues) => alternatives.some((alternative) => alternative(leafValues));
}

function compileLeafElement(element: unknown, path: string): LeafMatcher {
  if (isExactValue(element)) {
    const test = exactTest(element, path);
    return (leafValues) => leafValues.some(test);
  }
  if (!isPlainObject(element)) {
    throw new EventPatternError(
      path,
      `array elements must be a string, number, boolean, null or an operator object, got ${describe(element)}`,
    );
  }
  const [operator, operand] = singleEntry(element, path);
  switch (operator) {
    case 'exists': {
      if (typeof operand !== 'boolean') {
        throw new EventPatternError(path, `exists expects true or false, got ${describe(operand)}`);
      }
      // Only leaf values count as existing: an object-valued field does not "exist" here.
      return (leafValues) => (leafValues.length > 0) === operand;
    }
    case 'anything-but': {
      const excluded = compileAnythingBut(operand, path);
      // Needs a present value that is not excluded; a missing field never matches.
      return (leafValues) => leafValues.some((value) => !excluded(value));
    }
    default: {
      const test = compileValueOperator(operator, operand, path);
      return (leafValues) => leafValues.some(test);
    }
  }
}

function compileValueOperator(operator: string, operand: unknown, path: string): ValueTest {
  switch (operator) {
    case 'prefix':
      return compileAffix('prefix', operand, path);
    case 'suffix':
      return compileAffix('suffix', operand, path);
    case 'equals-ignore-case':
      return equalsIgnoreCaseTest([requireString(operand, 'equals-ignore-case', path)]);
    case 'numeric':
      return compileNumeric(operand, path);
    case 'cidr':
      return compileCidr(operand, path);
    case 'wildcard':
      return wildcardTest(compileWildcard(requireString(operand, 'wildcard', path), path));
    default:
      throw new EventPatternError(
        path,
        `unknown operator ${JSON.stringify(operator)}; allowed operators: ${OPERATORS.join(', ')}`,
      );
  }
}

function compileAffix(kind: 'prefix' | 'suffix', operand: unknown, path: string): ValueTest {
  const ignoreCase = isPlainObject(operand);
  const text = ignoreCase
    ? ignoreCaseOperand(operand, kind, path)
    : requireString(operand, kind, path, `a string or {"equals-ignore-case": string}`);
  if (ignoreCase) {
    const folded = foldCase(text);
    return kind === 'prefix'
      ? (value) => typeof value === 'string' && foldCase(value).startsWith(folded)
      : (value) => typeof value === 'string' && foldCase(value).endsWith(folded);
  }
  return kind === 'prefix'
    ? (value) => typeof value === 'string' && value.startsWith(text)
    : (value) => typeof value === 'string' && value.endsWith(text);
}

function ignoreCaseOperand(operand: Record<string, unknown>, kind: string, path: string): string {
  const [key, inner] = singleEntry(operand, path, kind);
  if (key !== 'equals-ignore-case') {
    throw new EventPatternError(
      path,
      `${kind} expects a string or {"equals-ignore-case": string}, got ${describe(operand)}`,
    );
  }
  return requireString(inner, `${kind} equals-ignore-case`, path);
}

/** Returns a test for the values anything-but excludes. */
function compileAnythingBut(operand: unknown, path: string): ValueTest {
  const expectation =
    'a string, a number, a non-empty list of only strings or only numbers, or one of ' +
    '{"prefix": string}, {"suffix": string}, {"equals-ignore-case": string | string[]}, ' +
    '{"wildcard": string | string[]}';

  if (typeof operand === 'string' || isFiniteNumber(operand)) {
    return (value) => value === operand;
  }
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every(isFiniteNumber);
    if (operand.length === 0 || (!allStrings && !allNumbers)) {
      throw new EventPatternError(path, `anything-but expects ${expectation}, got ${describe(operand)}`);
    }
    // Set membership is type-sensitive: the string "5" is not excluded by the number 5.
    const excluded = new Set<unknown>(operand);
    return (value) => excluded.has(value);
  }
  if (isPlainObject(operand)) {
    const [key, inner] = singleEntry(operand, path, 'anything-but');
    switch (key) {
      case 'prefix':
        return compileAffix('prefix', requireString(inner, 'anything-but prefix', path), path);
      case 'suffix':
        return compileAffix('suffix', requireString(inner, 'anything-but suffix', path), path);
      case 'equals-ignore-case':
        return equalsIgnoreCaseTest(requireStrings(inner, 'anything-but equals-ignore-case', path));
      case 'wildcard': {
        const patterns = requireStrings(inner, 'anything-but wildcard', path).map((text) =>
          compileWildcard(text, path),
        );
        return (value) => typeof value === 'string' && patterns.some((pattern) => matchWildcard(pattern, value));
      }
    }
  }
  throw new EventPatternError(path, `anything-but expects ${expectation}, got ${describe(operand)}`);
}

function equalsIgnoreCaseTest(texts: readonly string[]): ValueTest {
  const folded = new Set(texts.map(foldCase));
  return (value) => typeof value === 'string' && folded.has(foldCase(value));
}

function foldCase(text: string): string {
  return text.toLowerCase();
}

interface NumericBound {
  readonly value: number;
  readonly inclusive: boolean;
}

function compileNumeric(operand: unknown, path: string): ValueTest {
  const invalid = (got: unknown): EventPatternError =>
    new EventPatternError(
      path,
      `numeric expects pairs of an operator (${NUMERIC_OPERATORS.join(', ')}) and a number, got ${describe(got)}`,
    );
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw invalid(operand);
  }

  let lower: NumericBound | undefined;
  let upper: NumericBound | undefined;
  let equals: number | undefined;
  for (let i = 0; i < operand.length; i += 2) {
    const operator: unknown = operand[i];
    const bound: unknown = operand[i + 1];
    if (!isNumericOperator(operator)) throw invalid(operator);
    if (!isFiniteNumber(bound)) throw invalid(bound);
    switch (operator) {
      case '=':
        if (operand.length !== 2) {
          throw new EventPatternError(path, 'numeric "=" cannot be combined with other comparisons');
        }
        equals = bound;
        break;
      case '>':
      case '>=':
        if (lower) throw new EventPatternError(path, 'numeric allows at most one lower bound (> or >=)');
        lower = { value: bound, inclusive: operator === '>=' };
        break;
      case '<':
      case '<=':
        if (upper) throw new EventPatternError(path, 'numeric allows at most one upper bound (< or <=)');
        upper = { value: bound, inclusive: operator === '<=' };
        break;
    }
  }

  if (equals !== undefined) {
    const target = equals;
    return (value) => typeof value === 'number' && value === target;
  }
  if (lower && upper && lower.value >= upper.value) {
    throw new EventPatternError(
      path,
      `numeric lower bound ${lower.value} must be less than upper bound ${upper.value}`,
    );
  }
  return (value) =>
    typeof value === 'number' &&
    (!lower || (lower.inclusive ? value >= lower.value : value > lower.value)) &&
    (!upper || (upper.inclusive ? value <= upper.value : value < upper.value));
}

function isNumericOperator(value: unknown): value is NumericOperator {
  return typeof value === 'string' && (NUMERIC_OPERATORS as readonly string[]).includes(value);
}

/* ----------------------------------------------------------------------------------------- */
/* Wildcards                                                                                  */
/* ----------------------------------------------------------------------------------------- */

/** The literal pieces between unescaped `*`; a pattern without wildcards has one piece. */
type WildcardPattern = readonly string[];

function compileWildcard(text: string, path: string): WildcardPattern {
  const pieces: string[] = [];
  let current = '';
  let previousWasWildcard = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '*') {
      if (previousWasWildcard) {
        throw new EventPatternError(
          path,
          `wildcard ${JSON.stringify(text)} contains consecutive wildcard characters (**), which are not allowed`,
        );
      }
      pieces.push(current);
      current = '';
      previousWasWildcard = true;
      continue;
    }
    previousWasWildcard = false;
    if (char === '\\') {
      const escaped = text[i + 1];
      if (escaped !== '*' && escaped !== '\\') {
        throw new EventPatternError(
          path,
          `wildcard ${JSON.stringify(text)}: a backslash may only escape "*" or "\\" (write \\* or \\\\)`,
        );
      }
      current += escaped;
      i++;
      continue;
    }
    current += char;
  }
  pieces.push(current);
  return pieces;
}

function wildcardTest(pattern: WildcardPattern): ValueTest {
  return (value) => typeof value === 'string' && matchWildcard(pattern, value);
}

/**
 * Anchored glob match without regular expressions: the first piece must be a prefix, the last a
 * suffix, and the middle pieces must occur in order in between. Taking the leftmost occurrence
 * of each middle piece is always optimal, so this never backtracks.
 */
function matchWildcard(pieces: WildcardPattern, value: string): boolean {
  const first = pieces[0] ?? '';
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;

  let position = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] ?? '';
    const found = value.indexOf(piece, position);
    if (found === -1 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

/* ----------------------------------------------------------------------------------------- */
/* CIDR                                                                                       */
/* ----------------------------------------------------------------------------------------- */

function compileCidr(operand: unknown, path: string): ValueTest {
  const text = requireString(operand, 'cidr', path, 'an IPv4 or IPv6 CIDR block such as "10.0.0.0/24"');
  const invalid = new EventPatternError(
    path,
    `cidr expects an IPv4 or IPv6 CIDR block such as "10.0.0.0/24" or "2001:db8::/32", got ${JSON.stringify(text)}`,
  );
  const slash = text.indexOf('/');
  const network = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (!network) throw invalid;

  let prefixLength: number = network.bits;
  if (slash !== -1) {
    const digits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits)) throw invalid;
    prefixLength = Number(digits);
    if (prefixLength > network.bits) throw invalid;
  }

  const shift = BigInt(network.bits - prefixLength);
  const networkPrefix = network.value >> shift;
  return (value) => {
    if (typeof value !== 'string') return false;
    const address = parseIpAddress(value);
    return address !== undefined && address.bits === network.bits && address.value >> shift === networkPrefix;
  };
}

/* ----------------------------------------------------------------------------------------- */
/* Event traversal and small helpers                                                          */
/* ----------------------------------------------------------------------------------------- */

function fieldOf(node: unknown, key: string): unknown {
  // Own properties only, so keys like "constructor" never resolve to inherited members.
  return isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
}

/**
 * The scalar values at a field. Arrays are flattened (the pattern matches if any element
 * matches); objects are not leaves, so an object-valued field yields nothing.
 */
function leafValuesOf(value: unknown): readonly unknown[] {
  if (value === undefined || isPlainObject(value)) return NO_VALUES;
  if (!Array.isArray(value)) return [value];
  const scalars: unknown[] = [];
  collect(value, (item) => !isPlainObject(item), scalars);
  return scalars;
}

function objectsOf(value: unknown): readonly Record<string, unknown>[] {
  if (isPlainObject(value)) return [value];
  if (!Array.isArray(value)) return [];
  const objects: Record<string, unknown>[] = [];
  collect(value, isPlainObject, objects as unknown[]);
  return objects;
}

function collect(items: readonly unknown[], keep: (item: unknown) => boolean, into: unknown[]): void {
  for (const item of items) {
    if (Array.isArray(item)) collect(item, keep, into);
    else if (item !== undefined && keep(item)) into.push(item);
  }
}

function exactTest(expected: string | number | boolean | null, path: string): ValueTest {
  if (typeof expected === 'number' && !Number.isFinite(expected)) {
    throw new EventPatternError(path, `numbers must be finite, got ${String(expected)}`);
  }
  // Strict equality keeps matching type-sensitive: "5" never equals 5, null never equals "".
  return (value) => value === expected;
}

function singleEntry(
  object: Record<string, unknown>,
  path: string,
  context?: string,
): [string, unknown] {
  const entries = Object.entries(object);
  const entry = entries[0];
  if (entries.length !== 1 || !entry) {
    const what = context ? `${context} expects an object with exactly one key` : 'an operator object must have exactly one key';
    throw new EventPatternError(path, `${what}, got ${describe(object)}`);
  }
  return entry;
}

function requireString(value: unknown, operator: string, path: string, expected = 'a string'): string {
  if (typeof value !== 'string') {
    throw new EventPatternError(path, `${operator} expects ${expected}, got ${describe(value)}`);
  }
  return value;
}

function requireStrings(value: unknown, operator: string, path: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
    return value as string[];
  }
  throw new EventPatternError(
    path,
    `${operator} expects a string or a non-empty list of strings, got ${describe(value)}`,
  );
}

function isExactValue(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return String(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return String(value);
  }
}
