// GET /v1/gateway: OpenD's state (asked directly) and the relay's last published health.
// POST /v1/gateway/verification: answers a login challenge with Verification (1006) — no docker exec.
// Each route parses, calls one function of ../lib/gateway-status.ts and shapes the reply.
import { gatewayStatus, parseVerification, sendVerification } from '../lib/gateway-status.js';
import { httpHandler } from '../lib/http.js';

export const handler = httpHandler({
  'GET /v1/gateway': async (req) => ({ status: 200, body: await gatewayStatus(req.log) }),
  'POST /v1/gateway/verification': async (req) => ({ status: 202, body: await sendVerification(parseVerification(req.body), req.log) }),
});
