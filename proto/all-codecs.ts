// Registers the codecs of every protocol in the ProtoID table (proto/registry.ts). For the processes that speak
// every protocol, the OpenD simulator, the relay and tests: importing this module is enough. Lambda functions do
// not import it; each registers only the protocols its proto/api modules speak, which keeps its bundle small.
import { SDK_CODECS } from './generated/all-codecs.js';
import * as TestCmd from './generated/TestCmd.js';
import * as Verification from './generated/Verification.js';
import { registerCodecs } from './registry.js';

registerCodecs(...Object.values(SDK_CODECS), Verification, TestCmd);
