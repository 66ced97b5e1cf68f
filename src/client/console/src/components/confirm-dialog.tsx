import { useEffect, useRef, useState } from "preact/hooks";

/**
 * Asks before an action that changes what patients see (pause, resume, retire): a modal <dialog>,
 * which keeps focus inside it, closes with Escape and gives focus back to the button that opened it.
 */
export function ConfirmDialog(props: {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  askReason?: boolean;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    // Closed by its parent (which unmounts it): focus goes back where it was, as the dialog's own close() would do.
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          props.onConfirm(reason.trim());
        }}
      >
        <h2 id="confirm-title" class="dialog-title">
          {props.title}
        </h2>
        <p id="confirm-body">{props.body}</p>
        {props.askReason ? (
          <div class="field">
            <label for="confirm-reason">Reason (kept with the instance, optional)</label>
            <input id="confirm-reason" value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
        ) : null}
        <div class="actions">
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? "danger" : ""}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
