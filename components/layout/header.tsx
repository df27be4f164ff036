import { SignOutButton } from "./sign-out-button";

export function Header({ userName, email, accountName }: { userName: string; email: string; accountName: string }) {
  return (
    <header className="flex items-center justify-end gap-4 border-b border-slate-200 bg-white px-6 py-3">
      <div className="text-right text-sm" data-testid="signed-in-user">
        <div className="font-medium text-slate-900">{userName}</div>
        <div className="text-slate-500">
          {email} · <span data-testid="account-name">{accountName}</span>
        </div>
      </div>
      <SignOutButton />
    </header>
  );
}
