// The Lambda context of the invocation being served, for code deep in a request that must stay within the
// function's timeout (a duplicate placement waiting for the first one). Kept per asynchronous call chain,
// so that concurrent invocations in one process (the local stack, tests) each see their own.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';

const current = new AsyncLocalStorage<Context>();

/** Wraps a Lambda handler so that everything it calls can ask for the invocation's remaining time. */
export function withInvocation<E, R>(handler: (event: E, context: Context) => Promise<R>): (event: E, context: Context) => Promise<R> {
  return (event, context) => current.run(context, () => handler(event, context));
}

/** Milliseconds left before the invocation times out, or undefined outside a wrapped invocation. */
export function remainingTimeMs(): number | undefined {
  const ctx = current.getStore();
  return typeof ctx?.getRemainingTimeInMillis === 'function' ? ctx.getRemainingTimeInMillis() : undefined;
}
