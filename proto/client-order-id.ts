// What a clientOrderId may look like, in a module of its own with no imports: the bus-event validation of the
// orderEvents function needs only this from proto/events.ts, and importing that module would pull the trading API
// and its registered codecs into a function that never talks to OpenD. proto/events.ts re-exports it.
export const CLIENT_ORDER_ID_PATTERN = /^[A-Za-z0-9_.:\-]{1,60}$/;
