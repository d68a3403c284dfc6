// A "Now" button beside every date-and-time field (input[type=datetime-local]): it fills the field with the
// current time in the UK (Europe/London), to the minute, and says so in a live region. The button exists
// only when this script runs; without it, fields that may be left empty say "Leave empty for now".
(function () {
  "use strict";

  function londonNow() {
    // "sv-SE" writes dates as YYYY-MM-DD HH:MM, which is what a datetime-local input takes (with a "T").
    var text = new Date().toLocaleString("sv-SE", {
      timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false,
    });
    return text.replace(" ", "T").slice(0, 16);
  }

  function spoken(value) {
    var parts = value.split("T");
    var date = parts[0].split("-");
    return date[2] + "/" + date[1] + "/" + date[0] + " at " + parts[1];
  }

  function labelFor(input) {
    var label = document.querySelector('label[for="' + input.id + '"]');
    return label ? label.textContent.replace(/\s*\(optional\)\s*$/, "").trim() : "this field";
  }

  function setUp(input) {
    if (input.hasAttribute("data-now-button")) { return; }
    input.setAttribute("data-now-button", "");
    var wrapper = document.createElement("span");
    wrapper.className = "harbour-now-button";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "govuk-button govuk-button--secondary harbour-now__button";
    var which = document.createElement("span");
    which.className = "govuk-visually-hidden";
    which.textContent = " for " + labelFor(input).toLowerCase();
    button.appendChild(document.createTextNode("Now"));
    button.appendChild(which);
    var status = document.createElement("span");
    status.className = "govuk-visually-hidden";
    status.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      input.value = londonNow();
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = labelFor(input) + " set to now: " + spoken(input.value) + ".";
      }, 50);
    });
    wrapper.appendChild(button);
    wrapper.appendChild(status);
  }

  function setUpAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll('input[type="datetime-local"]'), setUp);
  }

  setUpAll(document);
  // Forms htmx swaps in later get their buttons too.
  document.addEventListener("htmx:afterSwap", function (event) { setUpAll(event.target); });
})();
