// Dialogs put the keyboard on their first field when they open (issue 17: antd focuses the dialog
// box itself, so a keyboard user had to tab through the close button and the warnings first).

/** Focuses the first enabled input, text area or select inside `root` (a dialog's body). */
export function focusFirstField(root: ParentNode | null | undefined): void {
  const field = root?.querySelector<HTMLElement>(
    'input:not([disabled]):not([type="hidden"]):not([readonly]), textarea:not([disabled]), input[role="combobox"]:not([disabled])',
  );
  field?.focus();
}

/** `afterOpenChange` for an antd Modal whose body holds `ref`'s element: focus its first field once open. */
export function focusFirstOnOpen(ref: { current: HTMLElement | null }): (open: boolean) => void {
  return (open) => {
    if (open) focusFirstField(ref.current);
  };
}
