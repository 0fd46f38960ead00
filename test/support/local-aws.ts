// Real AWS SDK clients pointed at local endpoints.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

export function localEventBridgeClient(endpoint: string): EventBridgeClient {
  return new EventBridgeClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
