// A business error of the paper-trading engine. The server answers it with retType -1 and the message as
// retMsg, the way OpenD reports rejected orders and bad parameters.
export class TradingError extends Error {
  override readonly name = 'TradingError';
  constructor(message: string) {
    super(message);
  }
}
