// Recognising Futu's frequency-limit refusals, for every path that calls OpenD (placement, refreshed reads).
// Futu documents no machine-readable code for its frequency limits (30-second sliding windows, "at most n
// requests within 30 s"; see proto/futu-limits.ts): the broker answers retType -1 (Common.RetType Failed) with
// a text in OpenD's language. Invariant: only a Failed reply whose text names the limit counts, so an unknown
// outcome (timeout, disconnect) is never mistaken for a refusal.
import { OpenDError } from '../../proto/errors.js';

/** Common.RetType Failed: a business refusal with a text retMsg. */
export const RET_TYPE_FAILED = -1;

/** The English and Chinese wordings ("frequency", "too many/too frequent", 频率 / 频繁 / 限频). */
const FREQUENCY_LIMIT_TEXT = /frequen|too many request|too frequent|频率|频繁|限频/i;

export function isBrokerFrequencyLimit(err: unknown): err is OpenDError {
  return err instanceof OpenDError && err.retType === RET_TYPE_FAILED && FREQUENCY_LIMIT_TEXT.test(err.retMsg);
}

/** The wait a frequency-limit text names ("retry in 1234 ms"), else Futu's whole 30-second window. */
export function frequencyRetryAfterMs(err: OpenDError): number {
  const m = /(\d+)\s*ms\b/.exec(err.retMsg);
  return m ? Math.max(1000, Number(m[1])) : 30_000;
}
