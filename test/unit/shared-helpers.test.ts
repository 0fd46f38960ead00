// The helpers each fact has one definition of: the wait, the DynamoDB conditional-failure test, the secret placeholder.
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../proto/timers.js';
import { isConditionalCheckFailed } from '../../functions/lib/dynamo-errors.js';
import { SECRET_PLACEHOLDER } from '../../gateway-container/secret-placeholder.js';
import { SECRET_PLACEHOLDER as STAGING_PLACEHOLDER } from '../../gateway-container/secret-staging.js';
import { isSecretPlaceholder, SECRET_PLACEHOLDER as CDK_PLACEHOLDER } from '../../cdk/definitions.js';

describe('sleep', () => {
  it('resolves no earlier than asked', async () => {
    const t0 = performance.now();
    await sleep(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
  });

  it('rejects with an AbortError when its signal is aborted', async () => {
    const ac = new AbortController();
    const waiting = sleep(60_000, { signal: ac.signal, unref: true });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('isConditionalCheckFailed', () => {
  it("recognises the SDK's ConditionalCheckFailedException, and the same error from another copy of the SDK by name", () => {
    expect(isConditionalCheckFailed(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))).toBe(true);
    expect(isConditionalCheckFailed(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }))).toBe(true);
  });

  it('is false for other errors and non-errors', () => {
    expect(isConditionalCheckFailed(new TransactionCanceledException({ message: 'cancelled', $metadata: {} }))).toBe(false);
    expect(isConditionalCheckFailed(new Error('ConditionalCheckFailedException'))).toBe(false);
    expect(isConditionalCheckFailed(undefined)).toBe(false);
    expect(isConditionalCheckFailed('ConditionalCheckFailedException')).toBe(false);
  });
});

describe('SECRET_PLACEHOLDER', () => {
  it('is one value for the CDK app that writes it and the gateway that reads it', () => {
    expect(STAGING_PLACEHOLDER).toBe(SECRET_PLACEHOLDER);
    expect(CDK_PLACEHOLDER).toBe(SECRET_PLACEHOLDER);
    expect(isSecretPlaceholder(SECRET_PLACEHOLDER)).toBe(true);
  });
});
