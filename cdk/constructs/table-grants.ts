/**
 * Grants exactly the DynamoDB actions of cdk/table-permissions.ts — on the table, and on its indexes only where
 * the grantee queries — and returns the table-name environment variables for the tables granted.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { TABLE_ENV, TABLES, type TableDefinition, type TableId } from '../../functions/lib/tables.js';
import type { TableActions } from '../table-permissions.js';
import type { Data } from './data.js';

export function grantTableActions(data: Data, grantee: iam.IGrantable, access: TableActions): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [tableId, actions] of Object.entries(access) as [TableId, readonly string[]][]) {
    if (actions.length === 0) continue;
    const table = data.tables[tableId];
    const definition: TableDefinition = TABLES[tableId];
    const indexArns = actions.includes('dynamodb:Query') ? (definition.globalSecondaryIndexes ?? []).map((i) => `${table.tableArn}/index/${i.indexName}`) : [];
    iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [table.tableArn, ...indexArns] });
    environment[TABLE_ENV[tableId]] = table.tableName;
  }
  return environment;
}
