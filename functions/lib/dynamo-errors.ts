// DynamoDB error tests shared by the stores. Checked by name rather than `instanceof` because the error class
// of a bundled client and of the test's client can be different copies of @aws-sdk/client-dynamodb.

/** A conditional write (PutItem / UpdateItem / DeleteItem with a ConditionExpression) whose condition was false. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConditionalCheckFailedException';
}
