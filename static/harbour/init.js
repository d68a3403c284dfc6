import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";
initAll();

// The editor's live identifier check answers 400 when the text is not one a message could hold (longer than
// a message may be, say), saying so: htmx leaves error answers unshown, but this one is for the author.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 400 && event.detail.target.id === "identifier-check") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
