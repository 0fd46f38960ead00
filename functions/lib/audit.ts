/**
 * The audit trail of trading: exactly one JSON line per request that can change something at the broker (place,
 * modify, cancel, answer a login challenge), whatever its outcome — refused by authorization, by a risk limit,
 * by validation, by OpenD, or done. Written to stdout (CloudWatch Logs in Lambda) with `"audit": true`, so a
 * metric filter or Logs Insights query (`filter ispresent(audit)`) finds them all.
 *
 * Invariant: no secrets in it — the verification code and request bodies are never copied, only identifiers.
 * In Lambda only LOG_LEVEL=silent (the tests) turns it off, the other log levels do not; locally it follows
 * LOG_LEVEL like an info line.
 */
import type { HttpResult } from './http.js';

export interface AuditRecord {
  audit: true;
  time: string;
  requestId: string;
  /** API Gateway route key, e.g. `POST /v1/accounts/{accId}/orders`. */
  action: string;
  /** The signed caller's principal ARN (null when the request carried none). */
  caller: string | null;
  accId?: string;
  clientOrderId?: string;
  orderId?: string;
  /** HTTP status of the reply. */
  status: number;
  /** `ok`, or the error code of the reply (FORBIDDEN, RISK_REJECTED, BROKER_REJECTED, …). */
  outcome: string;
  /** The order's status after the request, when the reply carries one. */
  orderStatus?: string;
  /** The limit that refused it, for RISK_REJECTED; the missing right, for FORBIDDEN. */
  reason?: string;
}

export type AuditSink = (line: string) => void;

/** In Lambda only LOG_LEVEL=silent stops it; locally (npm start, the soak) it follows LOG_LEVEL like any info line. */
function auditEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const level = env['LOG_LEVEL'];
  if (level === 'silent') return false;
  if (env['AWS_LAMBDA_FUNCTION_NAME'] !== undefined) return true;
  return level === undefined || level === 'info' || level === 'debug';
}

let sink: AuditSink = (line) => {
  if (auditEnabled()) process.stdout.write(line + '\n');
};

/** For tests: capture the audit lines; returns the previous sink. */
export function setAuditSink(next: AuditSink): AuditSink {
  const prev = sink;
  sink = next;
  return prev;
}

const AUDITED_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Every write route is a trading or gateway action. */
export function isAudited(routeKey: string): boolean {
  return AUDITED_METHODS.has(routeKey.slice(0, routeKey.indexOf(' ')));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export interface AuditInput {
  requestId: string;
  routeKey: string;
  caller: string | undefined;
  path: Record<string, string>;
  headers: Record<string, string>;
  /** The parsed request body, if it could be parsed. */
  body: unknown;
  result: HttpResult;
}

export function auditRecord(i: AuditInput): AuditRecord {
  const reqBody = (typeof i.body === 'object' && i.body !== null ? i.body : {}) as Record<string, unknown>;
  const resBody = (typeof i.result.body === 'object' && i.result.body !== null ? i.result.body : {}) as Record<string, unknown>;
  const order = (typeof resBody['order'] === 'object' && resBody['order'] !== null ? resBody['order'] : {}) as Record<string, unknown>;
  const error = resBody['error'] as { code?: string; details?: Record<string, unknown> } | undefined;
  const details = error?.details ?? {};
  const rec: AuditRecord = {
    audit: true,
    time: new Date().toISOString(),
    requestId: i.requestId,
    action: i.routeKey,
    caller: i.caller ?? null,
    status: i.result.status,
    outcome: error?.code ?? 'ok',
  };
  const accId = str(i.path['accId']) ?? str(order['accId']);
  const clientOrderId = str(reqBody['clientOrderId']) ?? str(i.headers['idempotency-key']) ?? str(order['clientOrderId']) ?? str(details['clientOrderId']);
  const orderId = str(i.path['orderId']) ?? str(order['orderId']) ?? str(details['orderId']);
  const orderStatus = str(order['status']);
  const reason = str(details['limit']) ?? str(details['missing']);
  if (accId) rec.accId = accId;
  if (clientOrderId) rec.clientOrderId = clientOrderId;
  if (orderId) rec.orderId = orderId;
  if (orderStatus) rec.orderStatus = orderStatus;
  if (reason) rec.reason = reason;
  return rec;
}

export function writeAudit(i: AuditInput): void {
  sink(JSON.stringify(auditRecord(i)));
}
