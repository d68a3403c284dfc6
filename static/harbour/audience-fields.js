// The message editor shows only the fields the chosen audience uses: the teams and staff choosers under their
// own radio (styled as GOV.UK's conditional reveal), and the fields several audiences share (email addresses,
// the content note) below. Which audience uses which field is rendered from comms/models.py (AUDIENCE_FIELDS)
// into data-audiences; the server ignores a hidden field's value. GOV.UK's own reveal (data-aria-controls) is
// not used: it sets aria-expanded on radio inputs, which axe-core reports as a critical violation. Without
// GOV.UK Frontend's JavaScript (no .govuk-frontend-supported) every field stays visible, as the CSS says.
(function () {
  "use strict";
  var radios = document.querySelectorAll('input[type="radio"][name="audience"]');
  var groups = document.querySelectorAll("[data-audiences]");
  if (!radios.length || !groups.length) { return; }

  function sync() {
    var checked = document.querySelector('input[type="radio"][name="audience"]:checked');
    var audience = checked ? checked.value : "";
    Array.prototype.forEach.call(groups, function (group) {
      var uses = group.getAttribute("data-audiences").split(" ").indexOf(audience) !== -1;
      var hidden = group.classList.contains("govuk-radios__conditional")
        ? "govuk-radios__conditional--hidden" : "harbour-audience-field--hidden";
      group.classList.toggle(hidden, !uses);
    });
  }

  Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", sync); });
  sync();
})();
