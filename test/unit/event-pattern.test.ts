// The local EventBridge's pattern matching (bin/local/event-pattern.ts) against EventBridge's documented
// operators; refusals of invalid patterns are in event-pattern-validation.test.ts.
import { describe, expect, it } from 'vitest';

import { compileEventPattern, matchesEventPattern } from '../../bin/local/event-pattern.js';

function makeEvent(detail: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Order Update',
    source: 'opend',
    account: '123456789012',
    time: '2024-05-01T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  };
}

function matchesDetail(detailPattern: Record<string, unknown>, detail: unknown): boolean {
  return matchesEventPattern({ detail: detailPattern }, makeEvent(detail));
}

describe('exact matching', () => {
  it('matches when every pattern field equals the event value', () => {
    expect(matchesEventPattern({ source: ['opend'], region: ['us-east-1'] }, makeEvent({}))).toBe(true);
  });

  it('does not match when one of the AND-ed fields differs', () => {
    expect(matchesEventPattern({ source: ['opend'], region: ['eu-west-1'] }, makeEvent({}))).toBe(false);
  });

  it('matches when the value equals any element of the pattern array', () => {
    expect(matchesEventPattern({ source: ['other', 'opend'] }, makeEvent({}))).toBe(true);
  });

  it('ignores event fields that are not in the pattern', () => {
    expect(matchesDetail({ symbol: ['US.AAPL'] }, { symbol: 'US.AAPL', qty: 5, side: 'BUY' })).toBe(true);
  });

  it('does not match when a pattern field is missing from the event', () => {
    expect(matchesDetail({ symbol: ['US.AAPL'] }, { qty: 5 })).toBe(false);
  });

  it('is case-sensitive for strings', () => {
    expect(matchesEventPattern({ source: ['OpenD'] }, makeEvent({}))).toBe(false);
  });

  it('matches numbers exactly and treats 5 and 5.0 as equal', () => {
    expect(matchesDetail({ qty: [5] }, { qty: 5.0 })).toBe(true);
    expect(matchesDetail({ qty: [5] }, { qty: 6 })).toBe(false);
  });

  it('matches booleans exactly', () => {
    expect(matchesDetail({ filled: [true] }, { filled: true })).toBe(true);
    expect(matchesDetail({ filled: [true] }, { filled: false })).toBe(false);
  });

  it('is type-sensitive: the string "5" does not equal the number 5', () => {
    expect(matchesDetail({ qty: ['5'] }, { qty: 5 })).toBe(false);
    expect(matchesDetail({ qty: [5] }, { qty: '5' })).toBe(false);
  });

  it('is type-sensitive: the string "true" does not equal the boolean true', () => {
    expect(matchesDetail({ filled: ['true'] }, { filled: true })).toBe(false);
  });

  it('null matches a JSON null value', () => {
    expect(matchesDetail({ reason: [null] }, { reason: null })).toBe(true);
  });

  it('null does not match a missing field', () => {
    expect(matchesDetail({ reason: [null] }, {})).toBe(false);
  });

  it('null does not match an empty string and an empty string does not match null', () => {
    expect(matchesDetail({ reason: [null] }, { reason: '' })).toBe(false);
    expect(matchesDetail({ reason: [''] }, { reason: null })).toBe(false);
  });

  it('an empty string matches only an empty string', () => {
    expect(matchesDetail({ note: [''] }, { note: '' })).toBe(true);
    expect(matchesDetail({ note: [''] }, { note: ' ' })).toBe(false);
  });

  it('a leaf pattern does not match an object value', () => {
    expect(matchesDetail({ order: ['x'] }, { order: { id: 'x' } })).toBe(false);
  });
});

describe('nested fields', () => {
  it('descends into nested objects of the event', () => {
    const pattern = { detail: { order: { status: ['FILLED'] } } };
    expect(matchesEventPattern(pattern, makeEvent({ order: { status: 'FILLED', id: 1 } }))).toBe(true);
    expect(matchesEventPattern(pattern, makeEvent({ order: { status: 'CANCELLED' } }))).toBe(false);
  });

  it('does not match when the event has a scalar where the pattern expects an object', () => {
    expect(matchesEventPattern({ detail: { order: { status: ['FILLED'] } } }, makeEvent({ order: 'FILLED' }))).toBe(
      false,
    );
  });

  it('does not match when the nested parent is missing', () => {
    expect(matchesEventPattern({ detail: { order: { status: ['FILLED'] } } }, makeEvent({}))).toBe(false);
  });

  it('never resolves pattern keys to inherited object members', () => {
    expect(matchesDetail({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(matchesDetail({ toString: [{ exists: false }] }, {})).toBe(true);
  });
});

describe('arrays in events', () => {
  it('matches if any element of an event array matches', () => {
    const event = makeEvent({}, { resources: ['arn:aws:a', 'arn:aws:b'] });
    expect(matchesEventPattern({ resources: ['arn:aws:b', 'arn:aws:z'] }, event)).toBe(true);
  });

  it('does not match when the pattern and event arrays do not intersect', () => {
    const event = makeEvent({}, { resources: ['arn:aws:a', 'arn:aws:b'] });
    expect(matchesEventPattern({ resources: ['arn:aws:c'] }, event)).toBe(false);
  });

  it('does not match an empty event array with a value pattern', () => {
    expect(matchesEventPattern({ resources: ['arn:aws:a'] }, makeEvent({}))).toBe(false);
  });

  it('matches a nested pattern against any object in an event array', () => {
    const detail = { fills: [{ price: 10, venue: 'NYSE' }, { price: 11, venue: 'NASDAQ' }] };
    expect(matchesDetail({ fills: { venue: ['NASDAQ'] } }, detail)).toBe(true);
    expect(matchesDetail({ fills: { venue: ['ARCA'] } }, detail)).toBe(false);
  });

  it('requires all fields of a nested pattern to match within the same array element', () => {
    const detail = { fills: [{ price: 10, venue: 'NYSE' }, { price: 11, venue: 'NASDAQ' }] };
    expect(matchesDetail({ fills: { price: [10], venue: ['NYSE'] } }, detail)).toBe(true);
    expect(matchesDetail({ fills: { price: [10], venue: ['NASDAQ'] } }, detail)).toBe(false);
  });

  it('applies operators to each element of an event array', () => {
    expect(matchesDetail({ prices: [{ numeric: ['>', 100] }] }, { prices: [5, 150] })).toBe(true);
    expect(matchesDetail({ prices: [{ numeric: ['>', 100] }] }, { prices: [5, 50] })).toBe(false);
  });
});

describe('prefix', () => {
  it('matches a string that starts with the prefix', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2024-05-01' }] }, makeEvent({}))).toBe(true);
  });

  it('does not match a string with a different prefix or different case', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2023' }] }, makeEvent({}))).toBe(false);
    expect(matchesDetail({ code: [{ prefix: 'us.' }] }, { code: 'US.AAPL' })).toBe(false);
  });

  it('does not match a number', () => {
    expect(matchesDetail({ qty: [{ prefix: '1' }] }, { qty: 10 })).toBe(false);
  });

  it('with equals-ignore-case matches a prefix in any case', () => {
    const pattern = { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] };
    expect(matchesDetail(pattern, { service: 'eventbridge' })).toBe(true);
    expect(matchesDetail(pattern, { service: 'EVENTBUS' })).toBe(true);
    expect(matchesDetail(pattern, { service: 'sqs' })).toBe(false);
  });
});

describe('suffix', () => {
  it('matches a string that ends with the suffix', () => {
    expect(matchesDetail({ file: [{ suffix: '.png' }] }, { file: 'chart.png' })).toBe(true);
    expect(matchesDetail({ file: [{ suffix: '.png' }] }, { file: 'chart.PNG' })).toBe(false);
  });

  it('with equals-ignore-case matches a suffix in any case', () => {
    const pattern = { file: [{ suffix: { 'equals-ignore-case': '.png' } }] };
    expect(matchesDetail(pattern, { file: 'chart.PNG' })).toBe(true);
    expect(matchesDetail(pattern, { file: 'chart.jpg' })).toBe(false);
  });
});

describe('equals-ignore-case', () => {
  it('matches a string regardless of case', () => {
    expect(matchesDetail({ name: [{ 'equals-ignore-case': 'alice' }] }, { name: 'ALICE' })).toBe(true);
  });

  it('does not match a different string or a non-string', () => {
    expect(matchesDetail({ name: [{ 'equals-ignore-case': 'alice' }] }, { name: 'alicia' })).toBe(false);
    expect(matchesDetail({ flag: [{ 'equals-ignore-case': 'true' }] }, { flag: true })).toBe(false);
  });
});

describe('anything-but', () => {
  it('with a single string matches any other value', () => {
    const pattern = { state: [{ 'anything-but': 'initializing' }] };
    expect(matchesDetail(pattern, { state: 'running' })).toBe(true);
    expect(matchesDetail(pattern, { state: 'initializing' })).toBe(false);
  });

  it('with a list of strings excludes every listed value', () => {
    const pattern = { state: [{ 'anything-but': ['stopped', 'overloaded'] }] };
    expect(matchesDetail(pattern, { state: 'running' })).toBe(true);
    expect(matchesDetail(pattern, { state: 'overloaded' })).toBe(false);
  });

  it('with a list of numbers excludes every listed number', () => {
    const pattern = { limit: [{ 'anything-but': [100, 200, 300] }] };
    expect(matchesDetail(pattern, { limit: 150 })).toBe(true);
    expect(matchesDetail(pattern, { limit: 200 })).toBe(false);
  });

  it('with a single number excludes that number only', () => {
    expect(matchesDetail({ limit: [{ 'anything-but': 123 }] }, { limit: 123 })).toBe(false);
    expect(matchesDetail({ limit: [{ 'anything-but': 123 }] }, { limit: 124 })).toBe(true);
  });

  it('matches values of a different type than the excluded ones', () => {
    expect(matchesDetail({ state: [{ 'anything-but': 'x' }] }, { state: 5 })).toBe(true);
    expect(matchesDetail({ limit: [{ 'anything-but': [5] }] }, { limit: '5' })).toBe(true);
  });

  it('matches a JSON null value', () => {
    expect(matchesDetail({ command: [{ 'anything-but': ['no-message'] }] }, { command: null })).toBe(true);
  });

  it('does not match a missing field', () => {
    expect(matchesDetail({ state: [{ 'anything-but': 'initializing' }] }, {})).toBe(false);
  });

  it('does not match an object-valued field', () => {
    expect(matchesDetail({ state: [{ 'anything-but': 'x' }] }, { state: { code: 1 } })).toBe(false);
  });

  it('with a prefix excludes strings starting with it', () => {
    const pattern = { region: [{ 'anything-but': { prefix: 'us-' } }] };
    expect(matchesDetail(pattern, { region: 'eu-west-1' })).toBe(true);
    expect(matchesDetail(pattern, { region: 'us-east-1' })).toBe(false);
  });

  it('with a suffix excludes strings ending with it', () => {
    const pattern = { file: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matchesDetail(pattern, { file: 'a.jpg' })).toBe(true);
    expect(matchesDetail(pattern, { file: 'a.png' })).toBe(false);
  });

  it('with equals-ignore-case excludes every casing of the listed strings', () => {
    const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'overloaded'] } }] };
    expect(matchesDetail(pattern, { state: 'STOPPED' })).toBe(false);
    expect(matchesDetail(pattern, { state: 'Overloaded' })).toBe(false);
    expect(matchesDetail(pattern, { state: 'running' })).toBe(true);
  });

  it('with a wildcard excludes strings matching the wildcard', () => {
    const pattern = { path: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matchesDetail(pattern, { path: '/usr/lib/x.so' })).toBe(false);
    expect(matchesDetail(pattern, { path: '/usr/bin/x' })).toBe(true);
  });

  it('with a list of wildcards excludes strings matching any of them', () => {
    const pattern = { path: [{ 'anything-but': { wildcard: ['*.tmp', 'cache/*'] } }] };
    expect(matchesDetail(pattern, { path: 'cache/a' })).toBe(false);
    expect(matchesDetail(pattern, { path: 'b.tmp' })).toBe(false);
    expect(matchesDetail(pattern, { path: 'data/b.csv' })).toBe(true);
  });

  it('matches an event array when at least one element is not excluded', () => {
    const pattern = { tags: [{ 'anything-but': 'internal' }] };
    expect(matchesDetail(pattern, { tags: ['internal', 'public'] })).toBe(true);
    expect(matchesDetail(pattern, { tags: ['internal'] })).toBe(false);
  });
});

describe('numeric', () => {
  const range = { price: [{ numeric: ['>', 0, '<=', 5] }] };

  it('matches a number inside an open-closed range', () => {
    expect(matchesDetail(range, { price: 5 })).toBe(true);
    expect(matchesDetail(range, { price: 0.5 })).toBe(true);
  });

  it('does not match numbers on the excluded side of a bound', () => {
    expect(matchesDetail(range, { price: 0 })).toBe(false);
    expect(matchesDetail(range, { price: 5.01 })).toBe(false);
  });

  it('supports a single lower or upper bound', () => {
    expect(matchesDetail({ qty: [{ numeric: ['<', 10] }] }, { qty: -3 })).toBe(true);
    expect(matchesDetail({ qty: [{ numeric: ['>=', 10] }] }, { qty: 10 })).toBe(true);
    expect(matchesDetail({ qty: [{ numeric: ['>=', 10] }] }, { qty: 9.99 })).toBe(false);
  });

  it('accepts bounds in either order', () => {
    expect(matchesDetail({ qty: [{ numeric: ['<', 10, '>', 0] }] }, { qty: 5 })).toBe(true);
  });

  it('"=" matches numerically equal values', () => {
    const pattern = { limit: [{ numeric: ['=', 3.018e2] }] };
    expect(matchesDetail(pattern, { limit: 301.8 })).toBe(true);
    expect(matchesDetail(pattern, { limit: 301.81 })).toBe(false);
  });

  it('numeric does not match a string value', () => {
    expect(matchesDetail({ price: [{ numeric: ['>', 0] }] }, { price: '5' })).toBe(false);
  });

  it('numeric does not match a missing field, null or a boolean', () => {
    expect(matchesDetail({ price: [{ numeric: ['>', 0] }] }, {})).toBe(false);
    expect(matchesDetail({ price: [{ numeric: ['>=', 0] }] }, { price: null })).toBe(false);
    expect(matchesDetail({ price: [{ numeric: ['>=', 0] }] }, { price: true })).toBe(false);
  });
});

describe('exists', () => {
  it('exists: true matches a present leaf value', () => {
    expect(matchesDetail({ state: [{ exists: true }] }, { state: 'pending' })).toBe(true);
  });

  it('exists: true matches a field whose value is null', () => {
    expect(matchesDetail({ state: [{ exists: true }] }, { state: null })).toBe(true);
  });

  it('exists: true does not match a missing field', () => {
    expect(matchesDetail({ state: [{ exists: true }] }, { other: 1 })).toBe(false);
  });

  it('exists: false matches a missing field', () => {
    expect(matchesDetail({ 'c-count': [{ exists: false }] }, { state: 'running' })).toBe(true);
  });

  it('exists: false does not match a present field', () => {
    expect(matchesDetail({ 'c-count': [{ exists: false }] }, { 'c-count': 0 })).toBe(false);
  });

  it('only considers leaf nodes: an object value counts as absent', () => {
    const detail = { 'c-count': { c1: 100 } };
    expect(matchesDetail({ 'c-count': [{ exists: false }] }, detail)).toBe(true);
    expect(matchesDetail({ 'c-count': [{ exists: true }] }, detail)).toBe(false);
  });

  it('exists: false matches when the whole parent object is missing', () => {
    expect(matchesEventPattern({ detail: { order: { id: [{ exists: false }] } } }, makeEvent({}))).toBe(true);
  });

  it('can be combined with values as OR alternatives', () => {
    const pattern = { reason: ['timeout', { exists: false }] };
    expect(matchesDetail(pattern, {})).toBe(true);
    expect(matchesDetail(pattern, { reason: 'timeout' })).toBe(true);
    expect(matchesDetail(pattern, { reason: 'other' })).toBe(false);
  });
});

describe('cidr', () => {
  it('matches an IPv4 address inside the block', () => {
    const pattern = { ip: [{ cidr: '10.0.0.0/24' }] };
    expect(matchesDetail(pattern, { ip: '10.0.0.0' })).toBe(true);
    expect(matchesDetail(pattern, { ip: '10.0.0.255' })).toBe(true);
  });

  it('does not match an IPv4 address outside the block', () => {
    expect(matchesDetail({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.1' })).toBe(false);
  });

  it('supports prefix lengths that are not a multiple of 8', () => {
    const pattern = { ip: [{ cidr: '192.168.0.0/20' }] };
    expect(matchesDetail(pattern, { ip: '192.168.15.254' })).toBe(true);
    expect(matchesDetail(pattern, { ip: '192.168.16.1' })).toBe(false);
  });

  it('matches IPv6 addresses, including compressed forms', () => {
    const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
    expect(matchesDetail(pattern, { ip: '2001:db8:0:0:0:0:0:1' })).toBe(true);
    expect(matchesDetail(pattern, { ip: '2001:DB8:ffff::abcd' })).toBe(true);
    expect(matchesDetail(pattern, { ip: '2001:db9::1' })).toBe(false);
  });

  it('matches IPv6 addresses with an embedded IPv4 tail', () => {
    expect(matchesDetail({ ip: [{ cidr: '::ffff:10.0.0.0/120' }] }, { ip: '::ffff:10.0.0.7' })).toBe(true);
  });

  it('does not match across address families', () => {
    expect(matchesDetail({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:10.0.0.7' })).toBe(false);
    expect(matchesDetail({ ip: [{ cidr: '::/0' }] }, { ip: '10.0.0.7' })).toBe(false);
  });

  it('does not match strings that are not IP addresses, or non-strings', () => {
    const pattern = { ip: [{ cidr: '10.0.0.0/8' }] };
    expect(matchesDetail(pattern, { ip: 'localhost' })).toBe(false);
    expect(matchesDetail(pattern, { ip: '10.0.0.256' })).toBe(false);
    expect(matchesDetail(pattern, { ip: '10.0.0' })).toBe(false);
    expect(matchesDetail(pattern, { ip: 167772161 })).toBe(false);
  });
});

describe('wildcard', () => {
  it('matches any sequence of characters, including none', () => {
    const pattern = { key: [{ wildcard: 'dir/*.png' }] };
    expect(matchesDetail(pattern, { key: 'dir/chart.png' })).toBe(true);
    expect(matchesDetail(pattern, { key: 'dir/.png' })).toBe(true);
    expect(matchesDetail(pattern, { key: 'dir/sub/chart.png' })).toBe(true);
    expect(matchesDetail(pattern, { key: 'other/chart.png' })).toBe(false);
    expect(matchesDetail(pattern, { key: 'dir/chart.png.bak' })).toBe(false);
  });

  it('supports several wildcards in one value', () => {
    const pattern = { title: [{ wildcard: '*Order*Fill*' }] };
    expect(matchesDetail(pattern, { title: 'New Order partially Filled' })).toBe(true);
    expect(matchesDetail(pattern, { title: 'Fill before Order' })).toBe(false);
  });

  it('without a star requires an exact match', () => {
    expect(matchesDetail({ s: [{ wildcard: 'abc' }] }, { s: 'abc' })).toBe(true);
    expect(matchesDetail({ s: [{ wildcard: 'abc' }] }, { s: 'abcd' })).toBe(false);
  });

  it('does not let the prefix and suffix overlap', () => {
    expect(matchesDetail({ s: [{ wildcard: 'ab*ba' }] }, { s: 'aba' })).toBe(false);
    expect(matchesDetail({ s: [{ wildcard: 'ab*ba' }] }, { s: 'abba' })).toBe(true);
  });

  it('treats an escaped star as a literal star', () => {
    const pattern = { s: [{ wildcard: 'a\\*b' }] };
    expect(matchesDetail(pattern, { s: 'a*b' })).toBe(true);
    expect(matchesDetail(pattern, { s: 'axxb' })).toBe(false);
  });

  it('treats a double backslash as a literal backslash', () => {
    const pattern = { s: [{ wildcard: 'C:\\\\*' }] };
    expect(matchesDetail(pattern, { s: 'C:\\Windows' })).toBe(true);
    expect(matchesDetail(pattern, { s: 'C:/Windows' })).toBe(false);
  });

  it('does not match non-string values', () => {
    expect(matchesDetail({ n: [{ wildcard: '1*' }] }, { n: 10 })).toBe(false);
  });
});

describe('$or', () => {
  const topLevel = {
    source: ['opend'],
    $or: [{ 'detail-type': ['Order Fill'] }, { detail: { qty: [{ numeric: ['>', 100] }] } }],
  };

  it('at the top level matches when any alternative matches', () => {
    expect(matchesEventPattern(topLevel, makeEvent({ qty: 1 }, { 'detail-type': 'Order Fill' }))).toBe(true);
    expect(matchesEventPattern(topLevel, makeEvent({ qty: 500 }))).toBe(true);
  });

  it('at the top level does not match when no alternative matches', () => {
    expect(matchesEventPattern(topLevel, makeEvent({ qty: 1 }))).toBe(false);
  });

  it('is AND-ed with its sibling fields', () => {
    expect(matchesEventPattern(topLevel, makeEvent({ qty: 500 }, { source: 'other' }))).toBe(false);
  });

  it('works inside nested objects', () => {
    const pattern = { detail: { $or: [{ side: ['BUY'] }, { urgent: [true] }] } };
    expect(matchesEventPattern(pattern, makeEvent({ side: 'SELL', urgent: true }))).toBe(true);
    expect(matchesEventPattern(pattern, makeEvent({ side: 'SELL', urgent: false }))).toBe(false);
  });

  it('supports alternatives that contain several fields and nested $or', () => {
    const pattern = {
      $or: [
        { source: ['aws.ec2'] },
        { source: ['opend'], detail: { $or: [{ market: ['US'] }, { market: ['HK'] }] } },
      ],
    };
    expect(matchesEventPattern(pattern, makeEvent({ market: 'HK' }))).toBe(true);
    expect(matchesEventPattern(pattern, makeEvent({ market: 'CN' }))).toBe(false);
  });

  it('combines parallel $or groups at different levels with AND', () => {
    const pattern = {
      $or: [{ source: ['opend'] }, { source: ['aws.ec2'] }],
      detail: { $or: [{ a: [1] }, { b: [2] }] },
    };
    expect(matchesEventPattern(pattern, makeEvent({ b: 2 }))).toBe(true);
    expect(matchesEventPattern(pattern, makeEvent({ c: 3 }))).toBe(false);
  });
});

describe('realistic rule: OpenD order events', () => {
  const rule = { source: ['opend'], 'detail-type': ['Order Update', 'Order Fill'] };
  const matches = compileEventPattern(rule);

  it('matches an Order Update event from opend', () => {
    expect(matches(makeEvent({ orderId: '123', status: 'SUBMITTED' }))).toBe(true);
  });

  it('matches an Order Fill event from opend', () => {
    expect(matches(makeEvent({ orderId: '123', qty: 100 }, { 'detail-type': 'Order Fill' }))).toBe(true);
  });

  it('does not match another detail-type from opend', () => {
    expect(matches(makeEvent({}, { 'detail-type': 'Quote Update' }))).toBe(false);
  });

  it('does not match an Order Fill event from another source', () => {
    expect(matches(makeEvent({}, { source: 'opend.sim', 'detail-type': 'Order Fill' }))).toBe(false);
  });

  it('does not match an event that lacks detail-type', () => {
    const event = makeEvent({});
    delete event['detail-type'];
    expect(matches(event)).toBe(false);
  });

  it('can be reused across many events', () => {
    const events = ['Order Update', 'Order Fill', 'Position Update'].map((type) =>
      makeEvent({}, { 'detail-type': type }),
    );
    expect(events.map(matches)).toEqual([true, true, false]);
  });

  it('treats non-object events as having no fields', () => {
    expect(matches(null)).toBe(false);
    expect(matchesEventPattern({ source: [{ exists: false }] }, 'not-an-event')).toBe(true);
  });
});
