// The Lambdas' Powertools logger: the Lambda context on every line through its middy middleware, secrets
// redacted by the formatter whatever the caller passes, 64-bit IDs as strings, LOG_LEVEL honoured.
import type { Context } from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asLogger, createLambdaLogger } from '../../functions/lib/lambda-logger.js';

function context(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'opend-cloud-Orders',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-east-1:123456789012:function:opend-cloud-Orders',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/opend-cloud-Orders',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Captures what Powertools writes (info and below to stdout, warn and error to stderr), off the terminal. */
function capture(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const out: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    out.push(...String(chunk).split('\n').filter((l) => l.startsWith('{')));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(keep), vi.spyOn(process.stderr, 'write').mockImplementation(keep)];
  return { lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>), restore: () => spies.forEach((s) => s.mockRestore()) };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  vi.unstubAllEnvs();
});

describe('Lambda logger', () => {
  it('adds function name, cold start and request ID through injectLambdaContext; cold start only on the first call', async () => {
    const c = capture();
    restore = c.restore;
    // Lambda sets this in an on-demand environment; Powertools reports cold starts only there.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const pt = createLambdaLogger('test', { logLevel: 'info' });
    const log = asLogger(pt, { route: 'GET /x' });
    const handler = middy(async () => {
      log.info('handled', { accId: 281756480572583411n });
      return 'ok';
    }).use(injectLambdaContext(pt));
    expect(await handler({}, context('req-1'))).toBe('ok');
    expect(await handler({}, context('req-2'))).toBe('ok');
    const [first, second] = c.lines();
    expect(first).toMatchObject({
      level: 'INFO', message: 'handled', service: 'opend-cloud', component: 'test', route: 'GET /x',
      function_name: 'opend-cloud-Orders', function_request_id: 'req-1', cold_start: true, accId: '281756480572583411',
    });
    expect(second).toMatchObject({ function_request_id: 'req-2', cold_start: false });
  });

  it('redacts fields named like secrets in the formatter, keeps booleans and other fields', () => {
    const c = capture();
    restore = c.restore;
    const log = asLogger(createLambdaLogger('test', { logLevel: 'debug' }));
    log.warn('login', { password: 'hunter2', aesKey: 'k', verificationCode: '123456', authorization: 'AWS4 x', tokenPresent: true, accId: '1' });
    const [l] = c.lines();
    expect(l).toMatchObject({ password: '[redacted]', aesKey: '[redacted]', verificationCode: '[redacted]', authorization: '[redacted]', tokenPresent: true, accId: '1' });
    expect(JSON.stringify(c.lines())).not.toMatch(/hunter2|123456|AWS4/);
  });

  it('honours LOG_LEVEL, including silent', () => {
    const c = capture();
    restore = c.restore;
    asLogger(createLambdaLogger('test', { logLevel: 'silent' })).error('never');
    asLogger(createLambdaLogger('test', { logLevel: 'warn' })).info('below the level');
    asLogger(createLambdaLogger('test', { logLevel: 'warn' })).warn('shown');
    expect(c.lines().map((l) => l['message'])).toEqual(['shown']);
  });
});
