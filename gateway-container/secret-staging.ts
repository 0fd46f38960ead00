// Secrets from the environment into private files: ECS injects Secrets Manager values as environment variables;
// before any child starts, each one is written to a 0600 file in the runtime directory (0700) and removed from
// the environment, so secrets reach OpenD only through its config file and the relay/simulator only through
// files — never argv, never an inherited environment. A value still holding the deploy-time placeholder is
// reported as unconfigured, not staged. The RSA key is staged in OpenD's form (PKCS#1) whatever form it came in.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RsaKeyFormatError, toPkcs1Pem } from '../proto/rsa-key.js';
import { SECRET_VALUE_VARS, SettingsError } from './opend-config.js';
import { SECRET_PLACEHOLDER } from './secret-placeholder.js';

type Env = Record<string, string | undefined>;

export const RSA_VALUE_VAR = 'OPEND_RSA_PRIVATE_KEY';
export const RSA_FILE_VAR = 'OPEND_RSA_KEY_FILE';

/** `pem` as PKCS#1, or a SettingsError naming `variable` that says what is accepted. */
export function rsaPemForOpenD(pem: string, what: string, variable: string): string {
  try {
    return toPkcs1Pem(pem, what);
  } catch (err) {
    if (err instanceof RsaKeyFormatError) throw new SettingsError(err.message, variable);
    throw err;
  }
}

export interface StagedSecrets {
  /** The environment with secret values replaced by *_FILE paths. */
  env: Env;
  /** Files written here (removed at stop). */
  files: string[];
  /** Secret variables still holding the deploy-time placeholder (the user has not filled them in yet). */
  unconfigured: string[];
}

/** The value a deployed secret starts with until the user fills it in (defined once, in secret-placeholder.ts). */
export { SECRET_PLACEHOLDER };

function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === SECRET_PLACEHOLDER) return true;
  try {
    const o = JSON.parse(v) as Record<string, unknown>;
    return typeof o === 'object' && o !== null && Object.values(o).some((x) => x === SECRET_PLACEHOLDER);
  } catch {
    return false;
  }
}

/**
 * Moves ECS-injected secret values out of the environment into 0600 files. Deletes the value variables from
 * `process.env` too, so nothing spawned later can inherit them by accident.
 */
export function stageSecretsFromEnv(env: Env, runtimeDir: string): StagedSecrets {
  const out: Env = { ...env };
  const files: string[] = [];
  const unconfigured: string[] = [];
  for (const { valueVar, fileVar, fileName } of SECRET_VALUE_VARS) {
    const value = out[valueVar];
    delete out[valueVar];
    delete process.env[valueVar];
    if (value === undefined || value === '') continue;
    if (isPlaceholder(value)) {
      unconfigured.push(valueVar);
      continue;
    }
    if (out[fileVar]) throw new SettingsError(`both ${valueVar} and ${fileVar} are set: keep one`, valueVar);
    // OpenD reads only PKCS#1; `openssl genrsa` on OpenSSL 3 writes PKCS#8. Converted here, before anything reads it.
    const content = valueVar === RSA_VALUE_VAR ? rsaPemForOpenD(value, `the RSA key secret (${RSA_VALUE_VAR})`, valueVar) : value;
    ensurePrivateDir(runtimeDir);
    const path = join(runtimeDir, fileName);
    writePrivateFile(path, content.endsWith('\n') ? content : `${content}\n`);
    out[fileVar] = path;
    files.push(path);
  }
  return { env: out, files, unconfigured };
}

export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (err) {
    throw new SettingsError(`OPEND_RUNTIME_DIR=${dir} cannot be created as a private directory (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at a directory this user owns`, 'OPEND_RUNTIME_DIR');
  }
}

/** Writes atomically with mode 0600 (a reader never sees a partial or world-readable file). */
export function writePrivateFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
