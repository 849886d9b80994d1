// Ablage: the little JavaScript the pages need on top of htmx. No inline scripts (CSP).
"use strict";

// Tabs: mark the clicked tab as selected when its content arrives (the links work without JS).
document.addEventListener("htmx:afterSwap", (event) => {
  const trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!trigger || trigger.getAttribute("role") !== "tab") {
    return;
  }
  const bar = trigger.closest('[role="tablist"]');
  for (const tab of bar.querySelectorAll('[role="tab"]')) {
    tab.setAttribute("aria-selected", tab === trigger ? "true" : "false");
  }
  const panel = document.getElementById("tab-panel");
  if (panel) {
    panel.setAttribute("aria-labelledby", trigger.id);
  }
});

// Dialogs: a button with data-dialog-open="ID" opens <dialog id="ID">, data-dialog-close closes
// the dialog it sits in.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog-open]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialogOpen);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
    }
    return;
  }
  const closer = event.target.closest("[data-dialog-close]");
  if (closer) {
    const dialog = closer.closest("dialog");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  }
});
