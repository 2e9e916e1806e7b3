/** Epoch milliseconds with sub-millisecond precision: comparable across a reload, unlike performance.now(). */
export const epochNow = () => performance.timeOrigin + performance.now();

/** The query parameter `name`, or an error naming it. */
export function param(name: string): string {
  const value = new URLSearchParams(location.search).get(name);
  if (value === null) throw new TypeError(`missing query parameter "${name}"`);
  return value;
}

export const optionalParam = (name: string) => new URLSearchParams(location.search).get(name) ?? undefined;
