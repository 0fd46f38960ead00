// The invocation's remaining time reaches code deep in a request, for each of several concurrent invocations
// in one process (as the local stack runs them), and is absent outside an invocation.
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../../bin/local/http-api.js';
import { remainingTimeMs, withInvocation } from '../../functions/lib/invocation.js';

function contextWithDeadline(deadline: number): Context {
  return { ...lambdaContext('orders'), getRemainingTimeInMillis: () => deadline - Date.now() };
}

describe('withInvocation', () => {
  it("gives each of several concurrent invocations its own remaining time, across awaits", async () => {
    const seen: number[] = [];
    const handler = withInvocation(async (delayMs: number) => {
      await new Promise((r) => setTimeout(r, delayMs));
      seen.push(remainingTimeMs()!);
      return remainingTimeMs();
    });
    const now = Date.now();
    const [a, b] = await Promise.all([handler(30, contextWithDeadline(now + 5_000)), handler(10, contextWithDeadline(now + 60_000))]);
    expect(a).toBeGreaterThan(4_000);
    expect(a).toBeLessThanOrEqual(5_000);
    expect(b).toBeGreaterThan(59_000);
    expect(b).toBeLessThanOrEqual(60_000);
    expect(seen).toHaveLength(2);
  });

  it('says nothing outside an invocation', () => {
    expect(remainingTimeMs()).toBeUndefined();
  });
});
