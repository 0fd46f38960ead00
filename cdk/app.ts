/**
 * CDK entry point: `npm run synth`, `npx cdk synth` / `npx cdk deploy` (cdk.json names this file as the app).
 * Settings: the context in cdk.json, cdk/config.ts, and `-c key=value` for a one-off (README, "Deploying to
 * AWS"). Synthesis needs no AWS credentials and no Docker: the gateway image is built at deploy time.
 *
 * The stack is environment-agnostic (it deploys to whatever account and region the CLI's credentials point at)
 * unless CDK_DEPLOY_ACCOUNT and CDK_DEPLOY_REGION pin it. CDK_DEFAULT_* is deliberately not used: it would make
 * synthesis look up availability zones with credentials.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { config as fileConfig } from './config.js';
import { CONFIG_KEYS, loadConfig } from './definitions.js';
import { FEATURE_FLAGS, OpenDCloudStack } from './stack.js';

const app = new App({ context: FEATURE_FLAGS });
const context = Object.fromEntries(CONFIG_KEYS.map((key) => [key, app.node.tryGetContext(key) as unknown]));
const config = loadConfig(context, fileConfig);

const account = process.env['CDK_DEPLOY_ACCOUNT'];
const region = process.env['CDK_DEPLOY_REGION'];
new OpenDCloudStack(app, config.stackName, {
  config,
  description: `opend-cloud: Futu/moomoo OpenD gateway (${config.openDMode}), HTTP API, events and schedules`,
  ...(account !== undefined && region !== undefined ? { env: { account, region } } : {}),
});

// cdk-nag (AWS Solutions rules) runs at every synth; an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
