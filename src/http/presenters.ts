// Response shaping shared by routes and the CLI: times as ISO 8601, null kept as null.

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
