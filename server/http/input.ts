/** Reading untyped request input (form or JSON) at the edge, before it is parsed into values. */

/** The request body as an object; anything else (an array, a string, nothing) as an empty one. */
export function objectBody(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A field as trimmed text; not a string is empty. */
export function trimmed(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** A field as text exactly as sent (passwords, text the domain trims itself). */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
