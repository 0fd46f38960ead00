// The Lambdas' logger: Powertools Logger, so every line carries the function name, cold start and the Lambda
// request ID (added by its middy middleware `injectLambdaContext`, used by every handler), and Lambda's log
// pipeline gets one JSON object per line. Invariants: fields named like secrets are redacted by the formatter
// (the same rule as proto/log.ts, so nothing a handler or a library passes can bypass it); the rest of the
// code keeps logging through the project's small `Logger` interface (`asLogger`).
import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { Logger } from '../../proto/client.js';
import { redact } from '../../proto/log.js';

/**
 * Powertools' standard keys (level, message, timestamp, service, cold_start, function_name,
 * function_request_id, xray_trace_id), then the call's attributes with the project's secret redaction applied.
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(a: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base = {
      level: a.logLevel,
      message: a.message,
      timestamp: this.formatTimestamp(a.timestamp),
      service: a.serviceName,
      cold_start: a.lambdaContext?.coldStart,
      function_arn: a.lambdaContext?.invokedFunctionArn,
      function_memory_size: a.lambdaContext?.memoryLimitInMB,
      function_name: a.lambdaContext?.functionName,
      function_request_id: a.lambdaContext?.awsRequestId,
      xray_trace_id: a.xRayTraceId,
    };
    return new LogItem({ attributes: base }).addAttributes((redact(additional) ?? {}) as LogAttributes);
  }
}

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
type Level = (typeof LEVELS)[number];

/** The project's LOG_LEVEL (debug, info, warn, error, silent — as proto/log.ts) in Powertools' spelling. */
function levelFrom(v: string | undefined): Level | undefined {
  const up = v?.toUpperCase();
  return (LEVELS as readonly string[]).includes(up ?? '') ? (up as Level) : undefined;
}

/**
 * A Powertools logger for one component. Its level: the option, else LOG_LEVEL as the rest of the project
 * reads it ("silent" in tests), else Powertools' own variables (POWERTOOLS_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL).
 */
export function createLambdaLogger(component: string, opts: { logLevel?: string } = {}): PowertoolsLogger {
  const logLevel = levelFrom(opts.logLevel) ?? levelFrom(process.env['LOG_LEVEL']);
  return new PowertoolsLogger({
    serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'opend-cloud',
    logFormatter: new RedactingLogFormatter(),
    persistentKeys: { component },
    ...(logLevel ? { logLevel } : {}),
  });
}

/** The project's Logger interface over a Powertools logger, with fields added to every line. */
export function asLogger(pt: PowertoolsLogger, fields: Record<string, unknown> = {}): Logger {
  const with_ = (f?: Record<string, unknown>) => ({ ...fields, ...f });
  return {
    debug: (m, f) => pt.debug(m, with_(f)),
    info: (m, f) => pt.info(m, with_(f)),
    warn: (m, f) => pt.warn(m, with_(f)),
    error: (m, f) => pt.error(m, with_(f)),
  };
}

let shared: PowertoolsLogger | undefined;

/**
 * The logger every function shares (one per execution environment, like the runtime). Created on first use,
 * not at import, so that it reads the environment the function runs with (tests set LOG_LEVEL before they load
 * a handler, as Lambda sets it before the code loads).
 */
export function lambdaLogger(): PowertoolsLogger {
  shared ??= createLambdaLogger('functions');
  return shared;
}

/**
 * For the non-HTTP functions (bus consumer, settlement, strategy): the function body behind middy with the
 * Lambda context on every log line, and an error logged with it before it is rethrown (so that EventBridge
 * or the scheduler still sees the failure and retries).
 */
export function lambdaFunction<E, R>(body: (event: E, context: Context) => Promise<R>) {
  return middy<E, R, Error, Context>()
    .use(injectLambdaContext(lambdaLogger(), { resetKeys: true }))
    .use({
      onError: (request) => {
        lambdaLogger().error('invocation failed', { error: request.error?.stack ?? String(request.error) });
      },
    })
    .handler(body);
}
