// KAM Portal behaviour. Loaded with `defer` from 'self'; the CSP allows no inline script,
// so every hook is a data attribute or a class that this file looks for.
"use strict";

(function () {
  // Lets CSS hide buttons that only matter without JavaScript (.js .js-hide).
  document.documentElement.classList.add("js");

  // Forms marked data-autosubmit (the language switch) submit when a select changes.
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (!(target instanceof HTMLSelectElement)) {
      return;
    }
    const form = target.closest("form[data-autosubmit]");
    if (form) {
      form.requestSubmit();
    }
  });

  // A reveal that fails (403, 404, network) tells the user instead of doing nothing.
  function showRequestError(event) {
    const source = event.detail.elt;
    const message = source && source.dataset ? source.dataset.errorText : "";
    const target = event.detail.target;
    if (message && target) {
      const note = document.createElement("span");
      note.className = "text-danger small ms-1";
      note.textContent = message;
      target.appendChild(note);
    }
  }
  document.addEventListener("htmx:responseError", showRequestError);
  document.addEventListener("htmx:sendError", showRequestError);
})();
