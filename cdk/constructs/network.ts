import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GATEWAY } from '../definitions.js';

export interface NetworkProps {
  readonly logRetention: logs.RetentionDays;
}

/**
 * The VPC OpenD lives in, and the two security groups that decide who may talk to it.
 *
 * Cost: two AZs (Fargate and Lambda want subnets in more than one) but ONE NAT gateway, shared by both private
 * subnets (~USD 33/month plus traffic). OpenD needs outbound internet to reach Futu's servers; nothing needs
 * inbound. DynamoDB traffic goes through a free gateway endpoint instead of the NAT. Interface endpoints
 * (Secrets Manager, EventBridge, Logs) would remove the NAT hop for those too but cost ~USD 7/month per AZ each,
 * more than the traffic they would save here.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Attached to every Lambda that talks to OpenD. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** Attached to the gateway task: admits OpenD's API port from `functionSecurityGroup` only. */
  readonly gatewaySecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
      flowLogs: {
        // Rejected traffic only: that is what explains a connection that does not work, and OpenD's quote
        // stream would make ALL-traffic logs cost more than the rest of the stack.
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Lambdas that call OpenD (egress to OpenD and AWS APIs)',
      allowAllOutbound: true,
    });
    this.gatewaySecurityGroup = new ec2.SecurityGroup(this, 'GatewaySecurityGroup', {
      vpc: this.vpc,
      description: `OpenD gateway task: TCP ${GATEWAY.apiPort} from the Lambdas only`,
      // OpenD reaches Futu's servers on several ports and addresses that Futu does not publish.
      allowAllOutbound: true,
    });
    this.gatewaySecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      ec2.Port.tcp(GATEWAY.apiPort),
      'OpenD API from the Lambdas',
    );
  }
}
