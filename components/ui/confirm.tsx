"use client";

import { Alert } from "./alert";
import { Button } from "./button";
import { Dialog, DialogActions } from "./dialog";

/** Asks before a destructive action; shows the server's refusal in place if it fails. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  isPending,
  error,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  isPending?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={title} description={children}>
      {error ? <Alert>{error}</Alert> : null}
      <DialogActions>
        <Button variant="secondary" onClick={onClose} autoFocus>
          Cancel
        </Button>
        <Button variant="danger" onClick={onConfirm} disabled={isPending}>
          {isPending ? "Working…" : confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
