/** Who is calling: a signed-in console user, or an agent signing with one of a user's access keys. */
export type Actor = {
  type: "user";
  userId: string;
  accountId: string;
  email: string;
  name: string;
  isAccountOwner: boolean;
  /** Set when the call was signed with an access key (an agent) instead of a console session. */
  accessKeyId?: string;
};

/** Where the call came from, for the audit trail, throttling and policy conditions. */
export type RequestMeta = { ip: string; isSecure?: boolean };

/** The actor for a user row, signed in to the console or (with `accessKeyId`) signing as an agent. */
export function actorFromUser(
  user: { id: string; accountId: string; email: string; name: string; isAccountOwner: boolean },
  accessKeyId?: string,
): Actor {
  return {
    type: "user",
    userId: user.id,
    accountId: user.accountId,
    email: user.email,
    name: user.name,
    isAccountOwner: user.isAccountOwner,
    ...(accessKeyId ? { accessKeyId } : {}),
  };
}
