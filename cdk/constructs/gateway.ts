import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Duration, IgnoreMode, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { EVENT_SOURCE, GATEWAY, GATEWAY_BUILD_ARGS, GATEWAY_ENV, METRICS, type OpenDCloudConfig } from '../definitions.js';
import { fargateSizeProblem } from '../fargate-sizes.js';
import { GATEWAY_TABLE_ACTIONS } from '../table-permissions.js';
import type { Data } from './data.js';
import type { Events } from './events.js';
import { acknowledge } from './nag.js';
import type { Network } from './network.js';
import { grantTableActions } from './table-grants.js';

/** The gateway image is built from the repository root (the relay imports `proto/`) with this Dockerfile. */
export const GATEWAY_DOCKERFILE = 'gateway-container/Dockerfile';

/** The build context filter, kept beside the Dockerfile (Docker reads <Dockerfile>.dockerignore beside the Dockerfile; CDK is given the same patterns). */
export const GATEWAY_DOCKERIGNORE = 'gateway-container/Dockerfile.dockerignore';

/**
 * What of the repository goes into the image's build context (Docker ignore syntax: exclude everything, then
 * re-include): the patterns of GATEWAY_DOCKERIGNORE, or this list when that file does not exist.
 */
export const GATEWAY_IMAGE_CONTEXT_FALLBACK = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!proto',
  '!gateway-container',
  'proto/generated',
  '**/node_modules',
  '**/*.log',
  '**/*.pem',
  '**/.env',
];

export function gatewayImageContext(repoRoot: string): string[] {
  const file = join(repoRoot, GATEWAY_DOCKERIGNORE);
  if (!existsSync(file)) return GATEWAY_IMAGE_CONTEXT_FALLBACK;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export interface GatewayProps {
  readonly config: OpenDCloudConfig;
  readonly repoRoot: string;
  readonly network: Network;
  readonly data: Data;
  readonly events: Events;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Exactly one Fargate task (x86_64: OpenD has no ARM build) running OpenD — or the simulator — plus the relay,
 * reachable from the Lambdas through Cloud Map at `opend.opend-cloud.local:11111`.
 */
export class Gateway extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly fileSystem: efs.FileSystem;
  /** `opend.opend-cloud.local`: what the Lambdas connect to. */
  readonly hostName: string;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);
    const { config, repoRoot, network, data, events } = props;

    if (config.openDMode === 'opend' && config.openDSha256 === undefined) {
      Annotations.of(this).addWarningV2(
        'opend-cloud:OpenDSha256Missing',
        'openDSha256 is not set: building the gateway image (at deploy) will refuse the unverified OpenD download. ' +
          'Set "openDSha256" (the sha256sum of the tarball) in cdk.json\'s context, or "openDMode": "simulator" for a paper deployment.',
      );
    }
    // loadConfig checks this too; a stack built from a hand-made config must not reach ECS with an invalid size.
    const sizeProblem = fargateSizeProblem(config.gatewayCpu, config.gatewayMemoryMiB);
    if (sizeProblem !== undefined) throw new Error(`${this.node.path}: ${sizeProblem}`);
    if (!existsSync(join(repoRoot, GATEWAY_DOCKERFILE))) {
      throw new Error(`The gateway image needs ${GATEWAY_DOCKERFILE}, which does not exist (build context: the repository root).`);
    }

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: GATEWAY.namespace,
      vpc: network.vpc,
      description: 'Private DNS through which the Lambdas find OpenD',
    });
    this.hostName = `${GATEWAY.serviceName}.${GATEWAY.namespace}`;

    // OpenD's state folder (device whitelist, login cache) survives task replacement, so a restart does not
    // ask for an SMS code again.
    this.fileSystem = new efs.FileSystem(this, 'StateFileSystem', {
      vpc: network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      encrypted: true,
      enableAutomaticBackups: true,
      // Kept when the stack is deleted (the device whitelist saves the next SMS round), but removed when a
      // first create rolls back, so a failed first deploy leaves nothing behind to pay for.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.fileSystem.connections.allowDefaultPortFrom(network.gatewaySecurityGroup, 'NFS from the gateway task');
    const accessPoint = this.fileSystem.addAccessPoint('OpenDState', {
      path: '/opend-state',
      createAcl: { ownerUid: String(GATEWAY.uid), ownerGid: String(GATEWAY.gid), permissions: '700' },
      posixUser: { uid: String(GATEWAY.uid), gid: String(GATEWAY.gid) },
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: config.gatewayCpu,
      memoryLimitMiB: config.gatewayMemoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.taskDefinition.addVolume({
      name: 'opend-state',
      efsVolumeConfiguration: {
        fileSystemId: this.fileSystem.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: accessPoint.accessPointId, iam: 'ENABLED' },
      },
    });
    this.fileSystem.grant(this.taskDefinition.taskRole, 'elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite');

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const environment: Record<string, string> = {
      [GATEWAY_ENV.mode]: config.openDMode,
      [GATEWAY_ENV.brand]: config.brand,
      [GATEWAY_ENV.apiPort]: String(GATEWAY.apiPort),
      [GATEWAY_ENV.subscriptions]: JSON.stringify(config.subscriptions),
      // Checked with the relay's own schema by loadConfig; the relay parses it again at start.
      RELAY_PUBLISH_POLICY: JSON.stringify(config.publishPolicy),
      [GATEWAY_ENV.healthPort]: String(GATEWAY.healthPort),
      [GATEWAY_ENV.eventBusName]: events.bus.eventBusName,
      [GATEWAY_ENV.eventSource]: EVENT_SOURCE,
      // The configured price alerts, which the relay keeps as Futu price reminders (relay/price-alerts-sync.ts).
      RELAY_PRICE_ALERTS: JSON.stringify(config.priceAlerts),
      [GATEWAY_ENV.metricsNamespace]: METRICS.namespace,
      [GATEWAY_ENV.stateDir]: GATEWAY.stateDirs[config.brand],
      // Explicitly on the EFS state volume (mounted at the state dir below), so the relay's record of what the bus
      // accepted survives a task replacement instead of depending on the relay's HOME-based default.
      [RELAY_CHECKPOINT_ENV]: relayCheckpointPath(config.brand),
      // Staged secrets and the rendered config: a scratch volume, the root filesystem being read-only.
      OPEND_RUNTIME_DIR: RUNTIME_DIR,
      // The relay's health server answers the container health check only, from inside the task.
      RELAY_HTTP_HOST: '127.0.0.1',
      // The relay writes the latest-quote store only (GATEWAY_TABLE_ACTIONS): LATEST_QUOTES_TABLE, and how often.
      ...grantTableActions(data, this.taskDefinition.taskRole, GATEWAY_TABLE_ACTIONS),
      RELAY_QUOTE_STORE_INTERVAL_MS: String(config.quoteStoreIntervalMs),
    };
    const secrets: Record<string, ecs.Secret> = {
      [GATEWAY_ENV.secretRsaPrivateKey]: ecs.Secret.fromSecretsManager(data.rsaKeySecret),
    };
    // The simulator needs no broker login; the real OpenD gets it from Secrets Manager, never from plain env.
    if (config.openDMode === 'opend') {
      if (data.loginSecret === undefined || data.tradePasswordSecret === undefined) {
        throw new Error('openDMode "opend" needs the login and trade-password secrets');
      }
      secrets[GATEWAY_ENV.secretLogin] = ecs.Secret.fromSecretsManager(data.loginSecret);
      // Only once the user has filled it in: an unset trade password is simply not given to the gateway.
      if (config.unlockTrading) {
        secrets[GATEWAY_ENV.secretTradePasswordMd5] = ecs.Secret.fromSecretsManager(data.tradePasswordSecret);
      }
    }

    this.container = this.taskDefinition.addContainer('gateway', {
      image: ecs.ContainerImage.fromAsset(repoRoot, {
        file: GATEWAY_DOCKERFILE,
        // The OpenD Linux build is x86_64 only.
        platform: Platform.LINUX_AMD64,
        buildArgs: gatewayBuildArgs(config),
        ignoreMode: IgnoreMode.DOCKER,
        exclude: gatewayImageContext(repoRoot),
      }),
      essential: true,
      environment,
      secrets,
      portMappings: [{ containerPort: GATEWAY.apiPort, name: 'opend-api' }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'gateway', logGroup }),
      healthCheck: {
        // Node is in the image (the relay runs on it); curl may not be.
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${GATEWAY.healthPort}${GATEWAY.healthCheckPath}')` +
            '.then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))',
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(120),
      },
      stopTimeout: Duration.seconds(30),
      // Hardening: nothing in the image can be changed at run time; the container writes only to the volumes
      // mounted below (scratch /tmp and the runtime dir, OpenD's state and the relay checkpoint on EFS).
      readonlyRootFilesystem: true,
      linuxParameters: hardenedLinuxParameters(this),
    });
    // Task-scoped scratch space (Fargate ephemeral storage). The image declares these paths as volumes owned by
    // the opend user, so a fresh bind mount inherits that owner and mode.
    for (const [name, containerPath] of Object.entries(SCRATCH_VOLUMES)) {
      this.taskDefinition.addVolume({ name });
      this.container.addMountPoints({ sourceVolume: name, containerPath, readOnly: false });
    }
    if (config.openDMode === 'simulator') {
      // Nothing to fill in for a paper deployment: the gateway generates the key and stores it for the Lambdas.
      this.container.addEnvironment(GATEWAY_ENV.rsaKeySecretArn, data.rsaKeySecret.secretArn);
      this.taskDefinition.taskRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [data.rsaKeySecret.secretArn] }),
      );
    }
    this.container.addMountPoints({ sourceVolume: 'opend-state', containerPath: GATEWAY.stateDirs[config.brand], readOnly: false });

    events.bus.grantPutEventsTo(this.taskDefinition.taskRole);
    // …and nobody else may publish as the gateway: a forged Order Update or Login Challenge is denied at the bus.
    events.restrictSourceToPublisher(this.taskDefinition.taskRole);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // One OpenD per login: a second one logs the first out. So never more than one task, even during a
      // deployment: the old task stops before the new one starts (min 0 %, max 100 %).
      desiredCount: 1,
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.DISABLED,
      circuitBreaker: { enable: true, rollback: true },
      securityGroups: [network.gatewaySecurityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      cloudMapOptions: {
        name: GATEWAY.serviceName,
        cloudMapNamespace: namespace,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        // Short, so the Lambdas find a replaced task quickly.
        dnsTtl: Duration.seconds(10),
      },
    });
    // A task started before the mount targets are available cannot mount EFS; the circuit breaker would then
    // roll the whole first create back.
    this.service.node.addDependency(this.fileSystem.mountTargetsAvailable);

    acknowledge(
      this.taskDefinition.obtainExecutionRole(),
      'AwsSolutions-IAM5[Resource::*]',
      'Only ecr:GetAuthorizationToken is granted on "*": that action has no resource-level permissions. Image pulls are limited to the CDK assets repository.',
    );
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'Only non-secret settings (mode, ports, bus and table names, subscriptions) are plain environment variables; credentials and the RSA key come from Secrets Manager through ECS secrets.',
    );
  }
}

/** Where the entrypoint stages secrets and the rendered OpenD config (OPEND_RUNTIME_DIR). */
export const RUNTIME_DIR = '/run/opend';

/** The writable scratch volumes of the read-only container: volume name → path. */
export const SCRATCH_VOLUMES: Readonly<Record<string, string>> = { tmp: '/tmp', runtime: RUNTIME_DIR };

/** Read by gateway-container/relay/main.ts: where the relay keeps its checkpoint of what the bus accepted. */
export const RELAY_CHECKPOINT_ENV = 'RELAY_CHECKPOINT_FILE';

/** The checkpoint file on the EFS state volume (OpenD's state dir, mounted from EFS), under the relay's own file name. */
export function relayCheckpointPath(brand: OpenDCloudConfig['brand']): string {
  return `${GATEWAY.stateDirs[brand]}/opend-cloud-relay-checkpoint.json`;
}

/**
 * Every Linux capability dropped: OpenD and the relay bind unprivileged ports and need none. Fargate does not
 * accept Docker's `no-new-privileges` option (dockerSecurityOptions is EC2-only); with an empty capability set
 * and a non-root user, a setuid binary cannot gain privileges anyway.
 */
function hardenedLinuxParameters(scope: Construct): ecs.LinuxParameters {
  const linux = new ecs.LinuxParameters(scope, 'LinuxParameters');
  linux.dropCapabilities(ecs.Capability.ALL);
  return linux;
}

/** Docker build arguments: the OpenD build to download and verify, or none at all for the simulator. */
export function gatewayBuildArgs(config: OpenDCloudConfig): Record<string, string> {
  if (config.openDMode === 'simulator') return { [GATEWAY_BUILD_ARGS.simulatorOnly]: '1', [GATEWAY_BUILD_ARGS.brand]: config.brand };
  return {
    [GATEWAY_BUILD_ARGS.simulatorOnly]: '0',
    [GATEWAY_BUILD_ARGS.version]: config.openDVersion,
    [GATEWAY_BUILD_ARGS.brand]: config.brand,
    ...(config.openDSha256 !== undefined ? { [GATEWAY_BUILD_ARGS.sha256]: config.openDSha256.toLowerCase() } : {}),
    ...(config.openDUrl !== undefined ? { [GATEWAY_BUILD_ARGS.url]: config.openDUrl } : {}),
  };
}
