/** Builds the stack the way cdk/app.ts does, offline: no bundling, no Docker, no AWS credentials. */
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { loadConfig, type OpenDCloudConfig, type OpenDCloudConfigInput } from '../../cdk/definitions.js';
import { FEATURE_FLAGS, OpenDCloudStack } from '../../cdk/stack.js';

export interface Synthesized {
  readonly app: App;
  readonly stack: OpenDCloudStack;
  readonly config: OpenDCloudConfig;
  readonly template: Template;
}

/** `settings` stands in for cdk/config.ts, so the tests do not depend on the user's edits to it. */
export function buildStack(settings: OpenDCloudConfigInput = {}): Omit<Synthesized, 'template'> {
  const config = loadConfig({}, settings);
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  const stack = new OpenDCloudStack(app, 'OpenDCloudTest', { config });
  return { app, stack, config };
}

export function synthesize(settings: OpenDCloudConfigInput = {}): Synthesized {
  const built = buildStack(settings);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The logical ID CloudFormation knows a construct's resource by. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

export type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string };

export function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}
