// Countdowns to statutory deadlines ([data-due]), ticking in the page: every 30 seconds each is counted
// again, exactly as core/workdays.py's time_left counts it (working days after today up to the
// deadline's day, in Europe/London, less the bank holidays the page was sent, and the hours left today),
// and a pending obligation whose time has passed turns to "Overdue" by itself, without a reload.
(function () {
  "use strict";
  var data = document.getElementById("harbour-bank-holidays");
  var holidays = {};
  (data ? JSON.parse(data.textContent) : []).forEach(function (day) { holidays[day] = true; });
  var london = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
  });

  function wallClock(ms) {
    var parts = {};
    london.formatToParts(new Date(ms)).forEach(function (part) { parts[part.type] = part.value; });
    return {day: Date.UTC(+parts.year, +parts.month - 1, +parts.day),
            seconds: (+parts.hour) * 3600 + (+parts.minute) * 60 + (+parts.second)};
  }

  function isWorkingDay(dayMs) {
    var weekday = new Date(dayMs).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !holidays[new Date(dayMs).toISOString().slice(0, 10)];
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function span(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes >= 48 * 60) { return Math.floor(minutes / 1440) + " days"; }
    if (minutes >= 60) {
      var hours = Math.floor(minutes / 60), rest = minutes % 60;
      return plural(hours, "hour") + (rest && hours < 10 ? " " + plural(rest, "minute") : "");
    }
    return plural(minutes, "minute");
  }

  function timeLeft(due, now) {
    if (now >= due) { return "Overdue by " + span(now - due); }
    var today = wallClock(now), dueDay = wallClock(due).day, DAY = 86400000;
    if (dueDay === today.day) { return span(due - now) + " left"; }
    var working = 0;
    for (var day = today.day + DAY; day <= dueDay; day += DAY) { if (isWorkingDay(day)) { working += 1; } }
    var hours = Math.floor((86400 - today.seconds) / 3600);
    var days = working ? plural(working, "working day") : plural(Math.round((dueDay - today.day) / DAY), "day");
    return days + " and " + plural(hours, "hour") + " left";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (clock) {
      var due = Date.parse(clock.getAttribute("data-due"));
      if (!due) { return; }
      var text = timeLeft(due, now);
      if (clock.textContent !== text) { clock.textContent = text; }
      var row = clock.closest("[data-clock]");
      var tag = row && row.querySelector("[data-clock-tag]");
      if (now >= due && tag && tag.textContent !== "Overdue") {
        tag.textContent = "Overdue";
        tag.className = "govuk-tag govuk-tag--orange";
        row.classList.add("harbour-clock--overdue");
      }
    });
  }

  // Every 30 seconds, and also at the moment the soonest deadline passes, so "Overdue" is not late.
  var atDue = null;
  function tickAndWatch() {
    tick();
    window.clearTimeout(atDue);
    var now = Date.now(), soonest = Infinity;
    document.querySelectorAll("[data-due]").forEach(function (clock) {
      var due = Date.parse(clock.getAttribute("data-due"));
      if (due > now && due < soonest) { soonest = due; }
    });
    if (soonest - now < 30000) { atDue = window.setTimeout(tickAndWatch, soonest - now + 250); }
  }
  tickAndWatch();
  window.setInterval(tickAndWatch, 30000);
  document.body.addEventListener("htmx:afterSwap", tickAndWatch);
})();
