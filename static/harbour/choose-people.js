// Choosing people by name, with GOV.UK's accessible autocomplete (static/vendor/accessible-autocomplete).
// The server renders a plain text field of usernames, which works on its own; this script enhances it:
//
// - [data-choose-people="<url>"] (a message's chosen staff): type part of a name, choose with the arrow keys
//   and Enter (or a tap); each person chosen joins a list below, with a hidden input carrying their username
//   and a "Remove" button. Additions and removals are announced in a live region.
//   A text box or a textarea (one name per line) works without this script.
// - [data-choose-person="<url>"] (one person, such as a row of the add-members form): the field becomes an
//   autocomplete of the same name, whose value is "username — Full Name" (the form reads either).
//
// templates/includes/field.html marks the fields of incidents.forms.PersonField and PeopleField so, with the
// staff search (incidents/views.py, staff_search); an incident's own pickers use their own, narrower
// searches. Suggestions come as JSON: [{value: username, label: display name, detail: team}], so two people
// with one name can be told apart.
(function () {
  "use strict";
  if (typeof window.accessibleAutocomplete !== "function") { return; }

  // Only the answer to the latest question is shown. The box is aria-busy while that answer is awaited,
  // which also tells a test (or anything else) when the suggestions are the last ones.
  function source(url, box) {
    var latest = 0;
    return function (query, populate) {
      var asked = ++latest;
      var join = url.indexOf("?") === -1 ? "?" : "&";
      box.setAttribute("aria-busy", "true");
      function answer(people) {
        if (asked !== latest) { return; }
        populate(people);
        box.setAttribute("aria-busy", "false");
      }
      fetch(url + join + "q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      }).then(function (response) {
        return response.ok ? response.json() : [];
      }).then(answer).catch(function () { answer([]); });
    };
  }

  function suggestion(person) {
    if (!person) { return ""; }
    if (typeof person === "string") { return escape(person); }
    var detail = person.detail ? '<span class="harbour-choose__detail"> – ' + escape(person.detail) + "</span>" : "";
    return escape(person.label) + detail;
  }

  function escape(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function describe(person) {
    return person.label + (person.detail ? " (" + person.detail + ")" : "");
  }

  function chooseMany(box) {
    var input = box.querySelector('input[type="text"], textarea');
    if (!input) { return; }
    var name = input.name;
    var id = input.id;
    var chosenData = document.getElementById(box.getAttribute("data-chosen-id") || "");
    var chosen = chosenData ? JSON.parse(chosenData.textContent) : [];

    var field = document.createElement("div");
    field.className = "harbour-choose";
    input.parentNode.insertBefore(field, input);
    input.parentNode.removeChild(input); // the hidden inputs below carry the choices now

    var heading = document.createElement("p");
    heading.className = "govuk-body govuk-!-margin-bottom-1 govuk-!-margin-top-3";
    heading.id = id + "-chosen-heading";
    var list = document.createElement("ul");
    list.className = "govuk-list harbour-chosen";
    list.setAttribute("aria-labelledby", heading.id);
    var live = document.createElement("p");
    live.className = "govuk-visually-hidden";
    live.setAttribute("aria-live", "polite");
    field.parentNode.appendChild(heading);
    field.parentNode.appendChild(list);
    field.parentNode.appendChild(live);

    function say(text) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }

    function count() {
      var n = list.children.length;
      heading.textContent = n ? "Chosen (" + n + "):" : "Nobody chosen yet.";
    }

    function add(person, announce) {
      if (list.querySelector('input[value="' + window.CSS.escape(person.value) + '"]')) {
        if (announce) { say(person.label + " is already chosen."); }
        return;
      }
      var item = document.createElement("li");
      item.className = "harbour-chosen__item";
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = name;
      hidden.value = person.value;
      var text = document.createElement("span");
      text.className = "harbour-chosen__name";
      text.textContent = describe(person);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "govuk-button govuk-button--secondary harbour-chosen__remove";
      remove.appendChild(document.createTextNode("Remove"));
      var who = document.createElement("span");
      who.className = "govuk-visually-hidden";
      who.textContent = " " + person.label;
      remove.appendChild(who);
      remove.addEventListener("click", function () {
        var next = item.nextElementSibling || item.previousElementSibling;
        list.removeChild(item);
        count();
        say(person.label + " removed. " + heading.textContent);
        var focusable = next ? next.querySelector("button") : document.getElementById(id);
        if (focusable) { focusable.focus(); }
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
      item.appendChild(hidden);
      item.appendChild(text);
      item.appendChild(remove);
      list.appendChild(item);
      count();
      if (announce) { say(person.label + " added. " + heading.textContent); }
    }

    chosen.forEach(function (person) { add(person, false); });
    count();

    window.accessibleAutocomplete({
      element: field,
      id: id,
      name: "",
      source: source(box.getAttribute("data-choose-people"), box),
      minLength: 2,
      confirmOnBlur: false,
      showNoOptionsFound: true,
      templates: { inputValue: function () { return ""; }, suggestion: suggestion },
      tNoResults: function () { return "Nobody found with that name"; },
      tAssistiveHint: function () {
        return "Type 2 or more letters of a name, then use the up and down arrows to review and Enter to choose. " +
          "Each person chosen is added to the list below.";
      },
      onConfirm: function (person) {
        if (!person || typeof person === "string") { return; }
        add(person, true);
        window.setTimeout(function () {
          var box = document.getElementById(id);
          if (box) { box.value = ""; }
        }, 0);
      },
    });
    var made = document.getElementById(id);
    if (made) {
      made.removeAttribute("name");
      // Enter chooses a person (the autocomplete's own handler); it never submits the whole message.
      made.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
      if (input.className.indexOf("--error") !== -1) { made.classList.add("autocomplete__input--error"); }
    }
  }

  function chooseOne(box) {
    var input = box.querySelector('input[type="text"]');
    if (!input) { return; }
    var field = document.createElement("div");
    field.className = "harbour-choose";
    input.parentNode.insertBefore(field, input);
    input.parentNode.removeChild(input);
    window.accessibleAutocomplete({
      element: field,
      id: input.id,
      name: input.name,
      defaultValue: input.value,
      source: source(box.getAttribute("data-choose-person"), box),
      minLength: 2,
      showNoOptionsFound: true,
      templates: {
        inputValue: function (person) {
          if (!person) { return ""; }
          return typeof person === "string" ? person : person.value + " — " + person.label;
        },
        suggestion: suggestion,
      },
      tNoResults: function () { return "Nobody found with that name"; },
    });
  }

  // The add-members form: "Add another person" adds a row (a copy of the first, as the server rendered it).
  function addRows(rows) {
    var first = rows.querySelector("[data-member-row]");
    if (!first) { return; }
    var blank = first.cloneNode(true);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "govuk-button govuk-button--secondary";
    button.textContent = "Add another person";
    button.addEventListener("click", function () {
      var number = rows.querySelectorAll("[data-member-row]").length + 1;
      var row = blank.cloneNode(true);
      row.querySelector("legend").textContent = "Person " + number;
      Array.prototype.forEach.call(row.querySelectorAll(".govuk-error-message"), function (e) { e.remove(); });
      Array.prototype.forEach.call(row.querySelectorAll("[id], [for], [aria-describedby]"), function (el) {
        ["id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/\bmember_/g, "member_" + number + "_").replace(/ \S*_error/, "")); }
        });
      });
      Array.prototype.forEach.call(row.querySelectorAll("input, select"), function (el) {
        el.value = "";
        el.classList.remove("govuk-input--error", "govuk-select--error");
      });
      Array.prototype.forEach.call(row.querySelectorAll(".govuk-form-group--error"), function (g) {
        g.classList.remove("govuk-form-group--error");
      });
      rows.appendChild(row);
      var person = row.querySelector("[data-choose-person]");
      chooseOne(person);
      var input = person.querySelector("input");
      if (input) { input.focus(); }
    });
    rows.parentNode.insertBefore(button, rows.nextSibling);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-member-rows]"), addRows);
  Array.prototype.forEach.call(document.querySelectorAll("[data-choose-people]"), chooseMany);
  Array.prototype.forEach.call(document.querySelectorAll("[data-choose-person]"), chooseOne);
})();
