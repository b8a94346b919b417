/** Who is making a request, as every core operation sees it. */

/** The caller of one request (or of one programmatic call). */
export interface RequestAuth {
  /** Called with the master key: permissions do not apply. */
  readonly master: boolean;
  /** Called with the read-only master key: reads as master, every write is refused. */
  readonly readOnly?: boolean;
  /** The logged-in user's objectId, when a valid session token came with the request. */
  readonly userId: string | null;
  /** The session token the request carried (validated). */
  readonly sessionToken: string | null;
  readonly installationId: string | null;
  /** Names of the roles the user belongs to (directly or through other roles). */
  readonly roles: readonly string[];
}

/** A caller with no key and no session. */
export const PUBLIC_AUTH: RequestAuth = Object.freeze({
  master: false,
  userId: null,
  sessionToken: null,
  installationId: null,
  roles: [],
});

/** The master caller. */
export const MASTER_AUTH: RequestAuth = Object.freeze({
  master: true,
  userId: null,
  sessionToken: null,
  installationId: null,
  roles: [],
});

/** The ACL principals a caller acts as (`*`, its user id, `role:<name>`), or null for the master key. */
export function principalsOf(auth: RequestAuth): readonly string[] | null {
  if (auth.master) return null;
  return auth.userId ? ['*', auth.userId, ...auth.roles.map((name) => `role:${name}`)] : ['*'];
}
