import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  EVENT_SOURCE,
  FUNCTION_ENV,
  FUNCTION_IDS,
  FUNCTIONS,
  GATEWAY,
  GATEWAY_ENV,
  ROUTES,
  type FunctionDefinition,
  type FunctionId,
  type OpenDCloudConfig,
} from '../definitions.js';
import { SECURITY_ENV } from '../../functions/lib/security-config.js';
import { QUOTE_RESERVE_ENV } from '../../functions/lib/quote-subscriptions.js';
import { QUOTE_STALE_ENV } from '../../proto/latest-quote-item.js';
import { HEADROOM_ENV } from '../../functions/lib/subscription-store.js';
import { QUOTE_RESERVE_MARGIN, quoteSubscriptionReserve } from '../quote-reserve.js';
import { tableActionsFor } from '../table-permissions.js';
import type { Data } from './data.js';
import type { Events } from './events.js';
import { acknowledge } from './nag.js';
import type { Network } from './network.js';
import { grantTableActions } from './table-grants.js';
import { BUNDLE_TARGET, ESM_REQUIRE_BANNER, EXTERNAL_MODULES, FUNCTION_NODE_OPTIONS } from '../bundling.js';
import { buildSdkLayer, sdkLayerDescription } from '../sdk-layer.js';

export interface FunctionsProps {
  readonly config: OpenDCloudConfig;
  /** Absolute path of the repository; `FUNCTIONS[…].entry` is relative to it. */
  readonly repoRoot: string;
  readonly network: Network;
  readonly data: Data;
  readonly events: Events;
  /** DNS name of OpenD in Cloud Map. */
  readonly openDHost: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The functions that authorize callers and check risk limits, so they get that configuration: those behind HTTP
 * routes, and the scheduled strategy, which places orders under its own identity (functions/handlers/strategy-dca.ts).
 */
const GUARDED_FUNCTIONS: ReadonlySet<string> = new Set([...Object.values(ROUTES), 'strategyDca' satisfies FunctionId]);

/** What callers + riskLimits may take of Lambda's 4 KB environment, leaving room for the other variables. */
export const SECURITY_ENV_MAX_CHARS = 3_000;

/** One Lambda per `FUNCTIONS` entry, with exactly the access its definition asks for. */
export class Functions extends Construct {
  readonly functions: Readonly<Record<FunctionId, NodejsFunction>>;
  /** The AWS SDK every function imports, from the versions package-lock.json pins (cdk/sdk-layer.ts). */
  readonly sdkLayer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    this.sdkLayer = new lambda.LayerVersion(this, 'AwsSdkLayer', {
      // Built by esbuild while the CDK bundles assets (skipped, like the functions' bundling, where a test or
      // `cdk synth --exclusively` asks for no bundling); the asset hash is that of the built files.
      code: lambda.Code.fromAsset(props.repoRoot, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('dummy'), // never used: the local build below always runs
          local: {
            tryBundle(outputDir: string): boolean {
              buildSdkLayer(outputDir);
              return true;
            },
          },
        },
      }),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      description: sdkLayerDescription(),
    });
    const functions = {} as Record<FunctionId, NodejsFunction>;
    for (const functionId of FUNCTION_IDS) {
      functions[functionId] = this.createFunction(functionId, FUNCTIONS[functionId], props);
    }
    this.functions = functions;
  }

  private createFunction(functionId: FunctionId, definition: FunctionDefinition, props: FunctionsProps): NodejsFunction {
    const { config, repoRoot, network, data, events } = props;
    const entry = join(repoRoot, definition.entry);
    if (!existsSync(entry)) {
      throw new Error(
        `Function "${functionId}": its handler ${definition.entry} does not exist. ` +
          `Write it (exporting "${definition.handler}") or fix the entry in FUNCTIONS (cdk/definitions.ts).`,
      );
    }
    const logGroup = new logs.LogGroup(this, `${functionId}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment: Record<string, string> = {
      [FUNCTION_ENV.eventBusName]: events.bus.eventBusName,
      [FUNCTION_ENV.eventSource]: EVENT_SOURCE,
      [FUNCTION_ENV.openDMode]: config.openDMode,
    };
    // No --enable-source-maps: it slows every cold start (cdk/bundling.ts); the map ships for offline use.
    if (FUNCTION_NODE_OPTIONS) environment['NODE_OPTIONS'] = FUNCTION_NODE_OPTIONS;
    if (definition.needsOpenD) {
      environment[FUNCTION_ENV.openDHost] = props.openDHost;
      environment[FUNCTION_ENV.openDPort] = String(GATEWAY.apiPort);
      environment[FUNCTION_ENV.rsaKeySecretArn] = data.rsaKeySecret.secretArn;
    }
    const invokedAsync = definition.asyncRetryAttempts !== undefined;

    const fn = new NodejsFunction(this, functionId, {
      entry,
      handler: definition.handler,
      description: definition.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      // Pure JavaScript dependencies only, so Graviton: cheaper per GB-second than x86_64.
      architecture: lambda.Architecture.ARM_64,
      memorySize: definition.memoryMb,
      timeout: Duration.seconds(definition.timeoutSec),
      ...(config.reservedConcurrency ? { reservedConcurrentExecutions: definition.reservedConcurrency } : {}),
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Exactly the SDK packages the layer below provides (cdk/bundling.ts says why); everything else is bundled.
        // Given explicitly, this list replaces NodejsFunction's default of leaving all of @aws-sdk/* to the runtime.
        externalModules: [...EXTERNAL_MODULES],
      },
      layers: [this.sdkLayer],
      environment,
      logGroup,
      // Only the functions that talk to OpenD need the VPC (and its NAT for AWS APIs); the rest stay outside.
      ...(definition.needsOpenD
        ? {
            vpc: network.vpc,
            vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
            securityGroups: [network.functionSecurityGroup],
          }
        : {}),
      ...(invokedAsync ? { retryAttempts: definition.asyncRetryAttempts, deadLetterQueue: events.deadLetterQueue } : {}),
      ...(definition.asyncMaxEventAgeSec !== undefined ? { maxEventAge: Duration.seconds(definition.asyncMaxEventAgeSec) } : {}),
    });

    // Exactly the actions the function's code performs (cdk/table-permissions.ts), not a read/write bundle.
    const tableEnv = grantTableActions(data, fn, tableActionsFor(functionId, definition.tables));
    for (const [name, value] of Object.entries(tableEnv)) fn.addEnvironment(name, value);
    if (GUARDED_FUNCTIONS.has(functionId)) {
      // Not secret (principal ARN patterns and limits); validated again by the function at cold start.
      const callers = JSON.stringify(config.callers);
      const riskLimits = JSON.stringify(config.riskLimits);
      // Lambda allows 4 KB of environment in all; say so at synth rather than fail the deploy.
      if (callers.length + riskLimits.length > SECURITY_ENV_MAX_CHARS) {
        throw new Error(
          `callers and riskLimits take ${callers.length + riskLimits.length} characters as JSON; Lambda's 4 KB environment allows about ${SECURITY_ENV_MAX_CHARS}. ` +
            'Use principal patterns with * and "accounts": "*" to shorten them.',
        );
      }
      fn.addEnvironment(SECURITY_ENV.callers, callers);
      fn.addEnvironment(SECURITY_ENV.riskLimits, riskLimits);
    }
    if (functionId === 'quotes') {
      // Keep the relay's configured subscriptions (plus a margin) free of the API's own (cdk/quote-reserve.ts).
      fn.addEnvironment(QUOTE_RESERVE_ENV, String(quoteSubscriptionReserve(config.subscriptions)));
      // How old the relay's latest-quote heartbeat may be before stored quotes count as stale.
      fn.addEnvironment(QUOTE_STALE_ENV, String(config.quoteStaleAfterMs));
    }
    if (functionId === 'subscriptions') {
      // The deploy-time set (reported by GET, never deleted by the API) and the quota the quotes API keeps.
      fn.addEnvironment(GATEWAY_ENV.subscriptions, JSON.stringify(config.subscriptions));
      fn.addEnvironment(HEADROOM_ENV, String(QUOTE_RESERVE_MARGIN));
    }
    if (definition.needsOpenD) data.rsaKeySecret.grantRead(fn);

    acknowledge(
      fn,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWS-managed policy that only lets the function write its own CloudWatch logs; a copy would drift from AWS updates.',
    );
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'Node.js 22 on purpose: the pinned runtime dependencies (middy 6, vitest 4 for the tests) are verified on Node 20/22; moving to 24 is a deliberate upgrade with its own test run.',
    );
    if (definition.needsOpenD) {
      acknowledge(
        fn,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'AWS-managed policy Lambda needs to attach its network interfaces in the VPC where OpenD listens.',
      );
    }
    return fn;
  }
}
