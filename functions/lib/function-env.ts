// The environment contract between the CDK app and the Lambdas: the variables the CDK app sets on every
// function, read by functions/lib/runtime.ts. Plain data, so the CDK app can import it cheaply.
export const FUNCTION_ENV = {
  openDHost: 'OPEND_HOST',
  openDPort: 'OPEND_PORT',
  /** ARN of the Secrets Manager secret holding the RSA private key (PEM); read once per cold start. */
  rsaKeySecretArn: 'OPEND_RSA_KEY_SECRET_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  eventSource: 'EVENT_SOURCE',
  openDMode: 'OPEND_MODE',
} as const;
