/** Optional packages: used when the host app installed them, never required. */

/** Imports a package by a name TypeScript does not resolve, or null when it is not installed. */
export async function importOptional<T>(name: string): Promise<T | null> {
  try {
    return (await import(name)) as T;
  } catch {
    return null;
  }
}
