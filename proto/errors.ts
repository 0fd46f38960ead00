// Error classes of the OpenD protocol layer. Each carries what a caller needs to act on it.
export { ProtoCodecError } from './wire.js';

/** A frame on the wire that cannot be accepted; the connection it came from must be closed. */
export class FrameError extends Error {
  override readonly name: string = 'FrameError';
  constructor(
    message: string,
    readonly code: 'BAD_HEADER_FLAG' | 'BODY_TOO_LARGE' | 'BODY_HASH_MISMATCH' | 'BAD_BODY',
  ) {
    super(message);
  }
}

export class BadHeaderFlagError extends FrameError {
  override readonly name = 'BadHeaderFlagError';
  constructor(readonly got: Buffer) {
    super(`frame header must start with "FT" (0x46 0x54), got 0x${got.toString('hex')}`, 'BAD_HEADER_FLAG');
  }
}

export class BodyTooLargeError extends FrameError {
  override readonly name = 'BodyTooLargeError';
  constructor(
    readonly bodyLen: number,
    readonly maxBodyBytes: number,
    readonly protoId: number,
  ) {
    super(`frame body of ${bodyLen} bytes (proto ${protoId}) exceeds the limit of ${maxBodyBytes} bytes`, 'BODY_TOO_LARGE');
  }
}

export class BodyHashMismatchError extends FrameError {
  override readonly name = 'BodyHashMismatchError';
  constructor(
    readonly protoId: number,
    readonly serialNo: number,
  ) {
    super(`SHA-1 in the header of proto ${protoId} serial ${serialNo} does not match the plaintext body`, 'BODY_HASH_MISMATCH');
  }
}

/** A body that could not be decrypted (wrong key, bad padding, wrong length). */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
}

/** OpenD answered with retType ≠ 0. */
export class OpenDError extends Error {
  override readonly name = 'OpenDError';
  constructor(
    readonly protoId: number,
    readonly retType: number,
    readonly retMsg: string,
    readonly errCode: number | undefined,
    protoName = `proto ${protoId}`,
  ) {
    super(`${protoName} failed: retType ${retType}${errCode !== undefined ? `, errCode ${errCode}` : ''}: ${retMsg || '(no message)'}`);
  }
}

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly protoId: number,
    readonly serialNo: number,
    readonly timeoutMs: number,
  ) {
    super(`no reply to proto ${protoId} (serial ${serialNo}) within ${timeoutMs} ms; the request may or may not have been executed`);
  }
}

/** The connection is not usable: never connected, closed, or dropped while a request was in flight. */
export class DisconnectedError extends Error {
  override readonly name = 'DisconnectedError';
  constructor(
    message: string,
    readonly protoId?: number,
  ) {
    super(message);
  }
}

/** Input rejected before anything was sent: says which field and what is allowed. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
