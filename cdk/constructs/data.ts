import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TABLE_IDS, TABLES, tableNames, type TableDefinition, type TableId } from '../../functions/lib/tables.js';
import { LOGIN_SECRET_FIELDS, SECRET_PLACEHOLDER, TABLE_ENV, type OpenDCloudConfig, type TableAccess } from '../definitions.js';
import { acknowledge } from './nag.js';

/**
 * Tables whose loss loses the trading record or lets an order be placed twice (the idempotency records): kept
 * when the stack is deleted or the table replaced, and protected from DeleteTable.
 *
 * They get names CloudFormation generates, not `<tablePrefix>-<name>`: a kept table with a fixed name would
 * make the next create of the stack fail with "already exists" — after `cdk destroy`, and after a first
 * deploy that rolled back (CloudFormation keeps Retain resources then too). With generated names a retry
 * simply creates new tables; the kept ones stay until deleted by hand (README, "Tearing down").
 */
export const RETAINED_TABLES: readonly TableId[] = ['orders', 'fills', 'idempotency'];

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

export interface DataProps {
  readonly config: OpenDCloudConfig;
}

/** The DynamoDB tables of `TABLES` and the secrets the user fills in after the first deploy. */
export class Data extends Construct {
  readonly tables: Readonly<Record<TableId, dynamodb.Table>>;
  /**
   * PEM of the RSA key OpenD and every client share, PKCS#1 or PKCS#8 (`openssl genrsa -out futu.pem 1024`).
   * In simulator mode the gateway generates it and stores it here itself while it still holds the placeholder.
   */
  readonly rsaKeySecret: secretsmanager.Secret;
  /** `{"account": …, "passwordMd5": …}` (LOGIN_SECRET_FIELDS); only when running the real OpenD. */
  readonly loginSecret?: secretsmanager.Secret;
  /** MD5 of the trade password, for the relay's OpenD-wide unlock; only when running the real OpenD. */
  readonly tradePasswordSecret?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const { config } = props;

    const names = tableNames(config.tablePrefix);
    const tables = {} as Record<TableId, dynamodb.Table>;
    for (const tableId of TABLE_IDS) {
      tables[tableId] = this.createTable(tableId, names[tableId], TABLES[tableId]);
    }
    this.tables = tables;

    const how =
      `Replace ${SECRET_PLACEHOLDER} after the first deploy, then restart the gateway (aws ecs update-service --force-new-deployment, ` +
      'see the stack outputs); until then the gateway treats it as unset.';
    this.rsaKeySecret = new secretsmanager.Secret(this, 'RsaPrivateKey', {
      description:
        config.openDMode === 'simulator'
          ? 'PEM of the RSA private key shared by the simulator and the Lambdas. Nothing to do: the gateway generates ' +
            `it and stores it here on its first start (while the value is ${SECRET_PLACEHOLDER}).`
          : 'PEM of the RSA private key shared by OpenD and its clients (PKCS#1 or PKCS#8, unencrypted, 1024 bits): ' +
            'openssl genrsa -out futu.pem 1024; aws secretsmanager put-secret-value --secret-id <arn> ' +
            '--secret-string file://futu.pem. ' + how,
      secretStringValue: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
    });
    acknowledge(
      this.rsaKeySecret,
      'AwsSolutions-SMG4',
      'The RSA key is shared with OpenD, which reads it at start; rotating it means generating a new PEM and restarting the gateway, which no rotation Lambda can do safely.',
    );

    if (config.openDMode === 'opend') {
      this.loginSecret = new secretsmanager.Secret(this, 'Login', {
        description:
          `Futu/moomoo login for OpenD: {"${LOGIN_SECRET_FIELDS.account}": "<account id, phone or email>", ` +
          `"${LOGIN_SECRET_FIELDS.passwordMd5}": "<lowercase hex MD5 of the password>"}. ` + how,
        secretObjectValue: {
          [LOGIN_SECRET_FIELDS.account]: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
          [LOGIN_SECRET_FIELDS.passwordMd5]: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
        },
      });
      acknowledge(
        this.loginSecret,
        'AwsSolutions-SMG4',
        'The broker login password is set and changed by the account holder at Futu/moomoo; AWS cannot rotate it.',
      );

      this.tradePasswordSecret = new secretsmanager.Secret(this, 'TradePassword', {
        description:
          'Lowercase hex MD5 of the trade password, for unlocking trading. Optional: fill it in, then deploy with ' +
          '-c unlockTrading=true to give it to the gateway.',
        secretStringValue: SecretValue.unsafePlainText(SECRET_PLACEHOLDER),
      });
      acknowledge(
        this.tradePasswordSecret,
        'AwsSolutions-SMG4',
        'The trade password is set and changed by the account holder at Futu/moomoo; AWS cannot rotate it.',
      );
    }
  }

  /**
   * Grants `grantee` exactly the table access in `access` — named tables and their named indexes, no
   * wildcards — and returns the environment variables carrying those tables' names.
   */
  grantTables(grantee: iam.IGrantable, access: Readonly<Partial<Record<TableId, TableAccess>>>): Record<string, string> {
    const environment: Record<string, string> = {};
    for (const [tableId, level] of Object.entries(access) as [TableId, TableAccess][]) {
      const table = this.tables[tableId];
      const definition: TableDefinition = TABLES[tableId];
      const indexArns = (definition.globalSecondaryIndexes ?? []).map((index) => `${table.tableArn}/index/${index.indexName}`);
      iam.Grant.addToPrincipal({
        grantee,
        actions: level === 'readWrite' ? [...READ_ACTIONS, ...WRITE_ACTIONS] : [...READ_ACTIONS],
        resourceArns: [table.tableArn, ...indexArns],
      });
      environment[TABLE_ENV[tableId]] = table.tableName;
    }
    return environment;
  }

  private createTable(tableId: TableId, tableName: string, definition: TableDefinition): dynamodb.Table {
    const retained = RETAINED_TABLES.includes(tableId);
    const table = new dynamodb.Table(this, `${pascal(tableId)}Table`, {
      ...(retained ? {} : { tableName }),
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey !== undefined ? { sortKey: attribute(definition.sortKey) } : {}),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      ...(definition.ttlAttribute !== undefined ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
      removalPolicy: retained ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retained,
    });
    for (const index of definition.globalSecondaryIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        ...(index.sortKey !== undefined ? { sortKey: attribute(index.sortKey) } : {}),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}

function attribute(key: { name: string; type: 'S' | 'N' | 'B' }): dynamodb.Attribute {
  const type = { S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER, B: dynamodb.AttributeType.BINARY }[key.type];
  return { name: key.name, type };
}

function pascal(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}
