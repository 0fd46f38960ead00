// The value every deployed secret (login, RSA key, trade password) starts with until the user fills it in, so
// the stack deploys before the user has credentials. The CDK app writes it; the gateway treats it as "not
// configured". Defined once here (no Node dependencies, so the CDK app can import it).
export const SECRET_PLACEHOLDER = 'REPLACE_ME';
