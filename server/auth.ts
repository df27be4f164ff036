import "server-only";
import { getServerSession, type NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "./db";
import { isDomainError } from "./errors";
import { clientIpFrom } from "./request-meta";
import { loadActor } from "./services/auth/load-actor";
import { verifyCredentials } from "./services/auth/verify-credentials";
import { getSecrets } from "./secrets";

const SESSION_MAX_AGE_S = 12 * 60 * 60;

/** Built on first use, not at import, so `next build` never needs the secrets. */
export function getAuthOptions(): NextAuthOptions {
  return {
    secret: getSecrets().sessionSecret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    jwt: { maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          const db = await getDb();
          try {
            const actor = await verifyCredentials(
              db,
              { email: credentials?.email ?? "", password: credentials?.password ?? "" },
              { ip: clientIpFrom(req.headers ?? {}) },
            );
            return { id: actor.userId, email: actor.email, name: actor.name };
          } catch (error) {
            // next-auth hands an Error's message to the sign-in page; only ours are safe to show.
            if (isDomainError(error)) throw new Error(error.message);
            throw error;
          }
        },
      }),
    ],
    callbacks: {
      jwt: ({ token, user }) => {
        if (user) token.sub = user.id;
        return token;
      },
      session: ({ session, token }) => ({ ...session, userId: token.sub }),
    },
  };
}

/** The signed-in console user of this request, re-read from the database, or null. */
export async function getSessionActor() {
  const session = (await getServerSession(getAuthOptions())) as { userId?: string } | null;
  if (!session?.userId) return null;
  return loadActor(await getDb(), session.userId);
}
