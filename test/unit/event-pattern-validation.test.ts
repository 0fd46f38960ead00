// The local EventBridge's pattern validation (bin/local/event-pattern.ts): every pattern EventBridge would refuse
// is refused with an EventPatternError naming the path of the bad part and what is allowed there; matching is
// in event-pattern.test.ts.
import { describe, expect, it } from 'vitest';

import {
  EventPatternError,
  compileEventPattern,
  matchesEventPattern,
  validateEventPattern,
} from '../../bin/local/event-pattern.js';

function errorOf(pattern: unknown): EventPatternError {
  try {
    validateEventPattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(EventPatternError);
    return error as EventPatternError;
  }
  throw new Error(`expected pattern to be rejected: ${JSON.stringify(pattern)}`);
}

describe('invalid patterns', () => {
  it('rejects a non-object pattern', () => {
    expect(errorOf(['source']).message).toMatch(/^pattern: expected a pattern object/);
    expect(errorOf(null).message).toMatch(/^pattern: /);
  });

  it('rejects a leaf that is not an array, naming the path', () => {
    const error = errorOf({ source: 'opend' });
    expect(error.path).toBe('pattern.source');
    expect(error.message).toBe(
      'pattern.source: expected an array of values to match or a nested pattern object, got "opend"',
    );
  });

  it('rejects empty arrays and empty objects', () => {
    expect(errorOf({ source: [] }).message).toBe('pattern.source: empty arrays are not allowed');
    expect(errorOf({ detail: {} }).message).toBe('pattern.detail: empty objects are not allowed');
  });

  it('rejects nested arrays and other unsupported array elements', () => {
    expect(errorOf({ detail: { x: [['a']] } }).message).toMatch(
      /^pattern\.detail\.x: array elements must be a string, number, boolean, null or an operator object/,
    );
  });

  it('rejects unknown operators and lists the allowed ones', () => {
    const error = errorOf({ detail: { x: [{ contains: 'a' }] } });
    expect(error.message).toContain('pattern.detail.x: unknown operator "contains"');
    expect(error.message).toContain('prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr, wildcard');
  });

  it('rejects operator objects with more than one key', () => {
    expect(errorOf({ x: [{ prefix: 'a', suffix: 'b' }] }).message).toMatch(/exactly one key/);
  });

  it('rejects numeric with a non-number and explains the expected shape', () => {
    expect(errorOf({ detail: { price: [{ numeric: ['>', 'abc'] }] } }).message).toBe(
      'pattern.detail.price: numeric expects pairs of an operator (<, <=, =, >, >=) and a number, got "abc"',
    );
  });

  it('rejects numeric with an unknown operator, an odd length or duplicate bounds', () => {
    expect(errorOf({ p: [{ numeric: ['!=', 1] }] }).message).toContain('got "!="');
    expect(errorOf({ p: [{ numeric: ['>', 1, '<'] }] }).message).toContain('numeric expects pairs');
    expect(errorOf({ p: [{ numeric: ['>', 1, '>=', 2] }] }).message).toContain('at most one lower bound');
    expect(errorOf({ p: [{ numeric: ['=', 1, '<', 2] }] }).message).toContain('"=" cannot be combined');
  });

  it('rejects a numeric range whose lower bound is not below the upper bound', () => {
    expect(errorOf({ p: [{ numeric: ['>', 10, '<', 5] }] }).message).toContain(
      'lower bound 10 must be less than upper bound 5',
    );
  });

  it('rejects $or that is not an array of at least 2 sub-patterns', () => {
    expect(errorOf({ $or: [{ source: ['a'] }] }).message).toBe(
      'pattern.$or: $or expects an array of at least 2 sub-pattern objects, got 1 sub-pattern(s)',
    );
    expect(errorOf({ $or: { source: ['a'] } }).message).toContain('pattern.$or: $or expects');
  });

  it('reports the path inside $or alternatives', () => {
    expect(errorOf({ $or: [{ source: ['a'] }, { detail: { x: 'y' } }] }).path).toBe('pattern.$or[1].detail.x');
  });

  it('rejects consecutive wildcards and bad escapes', () => {
    expect(errorOf({ key: [{ wildcard: 'a**b' }] }).message).toContain('consecutive wildcard characters');
    expect(errorOf({ key: [{ wildcard: 'a\\b' }] }).message).toContain('a backslash may only escape');
    expect(errorOf({ key: [{ wildcard: 'trailing\\' }] }).message).toContain('a backslash may only escape');
  });

  it('accepts an escaped star next to a wildcard', () => {
    expect(() => validateEventPattern({ key: [{ wildcard: 'a\\**' }] })).not.toThrow();
  });

  it('rejects invalid anything-but operands', () => {
    expect(errorOf({ s: [{ 'anything-but': ['a', 1] }] }).message).toContain('only strings or only numbers');
    expect(errorOf({ s: [{ 'anything-but': [] }] }).message).toContain('pattern.s: anything-but expects');
    expect(errorOf({ s: [{ 'anything-but': null }] }).message).toContain('anything-but expects');
    expect(errorOf({ s: [{ 'anything-but': { prefix: ['a', 'b'] } }] }).message).toContain(
      'anything-but prefix expects a string',
    );
    expect(errorOf({ s: [{ 'anything-but': { numeric: ['>', 1] } }] }).message).toContain('anything-but expects');
  });

  it('rejects operators with operands of the wrong type', () => {
    expect(errorOf({ s: [{ prefix: 1 }] }).message).toContain('prefix expects a string');
    expect(errorOf({ s: [{ suffix: { 'equals-ignore-case': 2 } }] }).message).toContain('suffix equals-ignore-case');
    expect(errorOf({ s: [{ exists: 'yes' }] }).message).toBe('pattern.s: exists expects true or false, got "yes"');
    expect(errorOf({ s: [{ 'equals-ignore-case': ['a'] }] }).message).toContain('equals-ignore-case expects a string');
  });

  it('rejects malformed CIDR blocks', () => {
    expect(errorOf({ ip: [{ cidr: '10.0.0.0/33' }] }).message).toContain('cidr expects an IPv4 or IPv6 CIDR block');
    expect(errorOf({ ip: [{ cidr: 'not-an-ip/8' }] }).message).toContain('cidr expects');
    expect(errorOf({ ip: [{ cidr: '2001:db8::/129' }] }).message).toContain('cidr expects');
  });

  it('compileEventPattern and matchesEventPattern throw the same error as validation', () => {
    expect(() => compileEventPattern({ source: 'x' })).toThrow(EventPatternError);
    expect(() => matchesEventPattern({ source: 'x' }, { source: 'opend' })).toThrow(/pattern\.source/);
  });

  it('validateEventPattern returns the valid pattern unchanged', () => {
    const pattern = { source: ['opend'] };
    expect(validateEventPattern(pattern)).toBe(pattern);
  });
});
