// Enum value ↔ name conversion. Names (upper snake case, e.g. "FILLED_ALL") are what every public surface
// shows; numbers exist only on the wire.
import { ValidationError } from './errors.js';

export type EnumObject = Readonly<Record<string, number>>;

const reverseCache = new WeakMap<EnumObject, Map<number, string>>();

/** The name of a wire value; unknown values become "UNKNOWN_<n>" rather than being lost. */
export function enumName<E extends EnumObject>(e: E, value: number | undefined): keyof E & string {
  if (value === undefined) return 'UNKNOWN' as keyof E & string;
  let rev = reverseCache.get(e);
  if (!rev) {
    rev = new Map();
    for (const [k, v] of Object.entries(e)) if (!rev.has(v)) rev.set(v, k);
    reverseCache.set(e, rev);
  }
  return (rev.get(value) ?? `UNKNOWN_${value}`) as keyof E & string;
}

/** The wire value of a name; throws ValidationError listing the allowed names. */
export function enumValue<E extends EnumObject>(e: E, name: unknown, field: string, allowed?: readonly (keyof E & string)[]): E[keyof E] {
  const list = (allowed ?? Object.keys(e).filter((k) => k !== 'UNKNOWN' && k !== 'NONE')) as string[];
  if (typeof name !== 'string' || !list.includes(name.toUpperCase())) {
    throw new ValidationError(field, `expected one of ${list.join(', ')}, got ${JSON.stringify(name)?.slice(0, 40)}`);
  }
  return e[name.toUpperCase() as keyof E];
}
