// Behaviour shared by the pages, bound by data attributes: the Content-Security-Policy
// allows no inline script or event handler in templates.

// <select data-submit-on-change>: choosing an option submits its form.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) event.target.form.requestSubmit();
});

document.addEventListener("click", (event) => {
  // A menu item marked data-closes-menu closes its <details> menu when chosen.
  const item = event.target.closest("[data-closes-menu]");
  if (item) item.closest("details").open = false;
  // A close link marked data-back-to-panel goes back when its page showed this as a
  // panel (the menu pushed the panel's URL); on the panel's own page it is a plain link.
  const close = event.target.closest("[data-back-to-panel]");
  if (close && document.getElementById(close.dataset.backToPanel)) {
    event.preventDefault();
    history.back();
  }
});
