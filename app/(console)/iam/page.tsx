import { redirect } from "next/navigation";

/** The IAM section opens on its users. */
export default function Page() {
  redirect("/iam/users");
}
