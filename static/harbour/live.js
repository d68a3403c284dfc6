// Live pages: one socket per page (the element with data-live-socket names it). Each pushed event says
// what changed; the matching panels re-fetch themselves through htmx, so the server renders exactly
// what this person may see. Delivery is at-most-once, so on every reconnect all panels reload.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-socket]");
  if (!root || !window.WebSocket) { return; }
  var path = root.getAttribute("data-live-socket");
  var status = document.getElementById("live-status");
  var announcer = document.getElementById("live-announcer");
  // Which panels each event type redraws, and the close code for lost access, come from the server
  // (core/realtime.py), so this script names no event type itself.
  var config = JSON.parse((document.getElementById("harbour-live-config") || {}).textContent || "{}");
  var PANELS_FOR = config.panels || {};
  var ALWAYS = config.always || ["timeline", "history"];
  var REVOKED = config.revoked || 4403;
  var PAUSED = config.paused || 4503;
  // The page's live panels are whatever it holds (id="panel-…"): the script names none of them.
  function panelsOnPage() {
    return Array.prototype.map.call(document.querySelectorAll("[id^='panel-']"), function (panel) {
      return panel.id.slice("panel-".length);
    });
  }
  var retries = 0;
  var everConnected = false;
  var openedAt = 0;
  var stopped = false;

  function setStatus(state, text) {
    if (!status) { return; }
    status.setAttribute("data-state", state);
    status.textContent = text;
  }

  // A panel is busy while the person is typing in it, or has typed something not yet sent: swapping it
  // then would wipe their words and their place. It refreshes as soon as they leave it.
  function isBusy(panel) {
    var active = document.activeElement;
    if (active && panel.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { return true; }
    var fields = panel.querySelectorAll("textarea, input[type=text]");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value !== fields[i].defaultValue) { return true; }
    }
    return false;
  }

  function refresh(panels) {
    panels.forEach(function (name) {
      var panel = document.getElementById("panel-" + name);
      if (!panel || !window.htmx) { return; }
      if (isBusy(panel)) {
        if (!panel.hasAttribute("data-stale")) {
          panel.setAttribute("data-stale", "true");
          panel.addEventListener("focusout", function retry() {
            window.setTimeout(function () {
              if (!isBusy(panel)) {
                panel.removeEventListener("focusout", retry);
                panel.removeAttribute("data-stale");
                window.htmx.trigger(document.body, "harbour:" + name);
              }
            }, 0);
          });
        }
        return;
      }
      window.htmx.trigger(document.body, "harbour:" + name);
    });
  }

  function announce(text) {
    if (announcer && text) { announcer.textContent = text; }
  }

  function panelsFor(type) {
    return PANELS_FOR[type] || ALWAYS;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    var settled = null;
    // A socket the server cannot serve is accepted and closed at once (paused): only one that stays
    // open a moment counts as live, and only then does the page catch up on what it missed.
    function settle() {
      if (settled === true) { return; }
      window.clearTimeout(settled);
      settled = true;
      if (everConnected) { refresh(panelsOnPage()); }
      everConnected = true;
      setStatus("live", "Live updates on");
    }
    socket.onopen = function () {
      openedAt = Date.now();
      settled = window.setTimeout(settle, 1500);
    };
    socket.onmessage = function (message) {
      settle();
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type === "timeline.event" && data.event) {
        refresh(panelsFor(data.event.type));
        announce(data.event.summary);
      } else if (data.type === "message.updated") {
        refresh(["board", "comms", "message"]);
        var message = data.message || {};
        if (message.subject && message.status_label) {
          announce("“" + message.subject + "” is now " + message.status_label.toLowerCase() + ".");
        }
      } else if (data.type === "follow_up.updated" || data.type === "follow_up.removed") {
        refresh(["board"]);
        var item = data.follow_up;
        if (item && item.person && item.label) {
          announce(item.label + " for " + item.person.full_name + " has changed.");
        }
      } else if (data.type === "panels.changed" && Array.isArray(data.panels)) {
        refresh(data.panels.filter(function (name) { return typeof name === "string"; }));
      } else if (data.type === "board.changed") {
        refresh(["board"]);  // the incidents this person approves for changed
      } else if (data.type === "now.changed") {
        refresh(["board"]);  // what waits on this person changed
        announce("What needs you has changed.");
      }
    };
    socket.onclose = function (event) {
      if (settled !== true) { window.clearTimeout(settled); }
      if (stopped) { return; }
      if (event.code === REVOKED) {
        stopped = true;
        setStatus("revoked", "You no longer have access to this page.");
        root.setAttribute("aria-hidden", "true");
        root.classList.add("harbour-workspace--revoked");
        window.location.reload();  // the server now answers "not found"; show that instead of stale detail
        return;
      }
      // Back off while connections keep failing, including sockets closed as soon as they open (paused).
      if (openedAt && Date.now() - openedAt > 10000) { retries = 0; }
      retries += 1;
      var delay = Math.min(15000, 500 * Math.pow(2, Math.min(retries, 5)));
      if (event.code === PAUSED) {
        // The server cannot pass live updates on just now (Redis is restarting): say so calmly, and keep
        // trying; the page catches up by itself when they return.
        setStatus("paused", "Live updates are paused. This page will catch up by itself when they return.");
      } else {
        setStatus("reconnecting", "Reconnecting live updates…");
      }
      window.setTimeout(connect, delay);
    };
  }
  connect();

  // A board's cards move between columns as time passes: when the soonest one falls due, the board
  // redraws itself (the server decides the columns), and again after every redraw.
  var dueTimer = null;
  function watchDue() {
    window.clearTimeout(dueTimer);
    var panel = document.getElementById("panel-board");
    var next = panel && Date.parse(panel.getAttribute("data-next-due") || "");
    if (!next) { return; }
    var wait = Math.max(1000, Math.min(next - Date.now() + 1000, 3600000));
    dueTimer = window.setTimeout(function () { refresh(["board"]); }, wait);
  }
  document.body.addEventListener("htmx:afterSwap", watchDue);
  watchDue();
})();
