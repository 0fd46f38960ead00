/**
 * Reads a secret (an RSA key, a trade password MD5, a verification code) from the file a flag or an environment
 * variable names: secrets are passed as files, never as values, so they stay out of `ps`, the environment and
 * the logs. The secret's content never appears in an error, only the path and the reason it cannot be read.
 *
 * How a failure ends is the caller's choice (`onError`): the simulator throws (its CLI prints one line), the
 * relay logs and exits with its configuration-error code.
 */
import { readFileSync } from 'node:fs';

/** Ends the caller's flow with this sentence; it must not return. */
export type SecretFileFailure = (message: string) => never;

const throwError: SecretFileFailure = (message) => {
  throw new Error(message);
};

/**
 * The file's content without surrounding whitespace (a trailing newline from `echo` is not part of the secret),
 * or undefined when no file is named. `what` names the setting in the error, e.g. "OPEND_RSA_KEY_FILE".
 */
export function readSecretFile(path: string | undefined, what: string, onError: SecretFileFailure = throwError): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    return onError(`${what} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
