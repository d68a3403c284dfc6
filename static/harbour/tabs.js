// Tabs on a phone. GOV.UK Frontend's tabs work only from tablet width up; below it they are a list of links
// above every panel at once, which made an incident's workspace one page twelve thousand pixels long.
// Here, on a narrow screen, only the chosen panel shows (the one the address names, or the first); the
// links above switch between them, update the address and move focus to the panel, so a screen reader
// lands where the content is. From tablet width up nothing here applies: GOV.UK's own tabs take over.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 40.0525em)");

  function setUp(tabs) {
    var links = Array.prototype.slice.call(tabs.querySelectorAll(".govuk-tabs__list a.govuk-tabs__tab"));
    var panels = links.map(function (link) {
      return document.getElementById(link.getAttribute("href").slice(1));
    });
    if (panels.some(function (panel) { return !panel; })) { return; }
    tabs.classList.add("harbour-phone-tabs");

    function show(index, focus) {
      panels.forEach(function (panel, i) {
        panel.classList.toggle("harbour-tab-hidden", i !== index);
        links[i].parentNode.classList.toggle("harbour-phone-tabs__item--selected", i === index);
        if (i === index) { links[i].setAttribute("aria-current", "true"); } else { links[i].removeAttribute("aria-current"); }
      });
      if (focus) {
        panels[index].setAttribute("tabindex", "-1");
        panels[index].focus({ preventScroll: true });
        tabs.scrollIntoView({ block: "start" });
      }
    }

    function chosen() {
      var id = window.location.hash.slice(1);
      for (var i = 0; i < panels.length; i += 1) {
        if (panels[i].id === id) { return i; }
      }
      return 0;
    }

    links.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        if (!narrow.matches) { return; }  // GOV.UK's tabs handle it
        event.preventDefault();
        window.history.replaceState(null, "", "#" + panels[index].id);
        show(index, true);
      });
    });
    window.addEventListener("hashchange", function () { show(chosen(), false); });
    show(chosen(), false);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".govuk-tabs"), setUp);
})();
