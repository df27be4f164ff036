/** Who is calling: a signed-in console user now; an agent's access key later. */
export type Actor = {
  type: "user";
  userId: string;
  accountId: string;
  email: string;
  name: string;
  isAccountOwner: boolean;
  accessKeyId?: string;
};

/** Where the call came from, for the audit trail and throttling. */
export type RequestMeta = { ip: string };
