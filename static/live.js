/* motions: live pages. Plain JS, no libraries, no inline code (CSP); without it every page still works
   (reload to see changes).

   - The events: an EventSource on the URL in the page's data-events attribute; each message is
     {"id", "kind", ...} JSON (no "event:" line, so onmessage).
   - <el data-live="kind1 kind2" data-live-src="URL">: when an event of a listed kind arrives ("poll."
     ends with a dot: every kind starting with it), URL is fetched (same origin, with the cookies) and
     replaces el's content. At most one fetch per element per 300 ms, with a trailing fetch so that
     the last state always shows. Only the outermost matching element is fetched (it brings its
     inner regions along). A region holding a focused form field waits until the field loses focus.
   - <el data-turnout-poll="ID"> / <el data-turnout-election="ID">: takes the "voted" number of
     poll.turnout / election.turnout events directly.
   - <span class="countdown" data-ends-at="ISO-8601 UTC">: ticks every second (mm:ss, "00:00" and the
     class "over" once the time is up).
   - If the stream fails and stays down, every live region is fetched every 3 s until a stream
     connects again. */
(function () {
  "use strict";

  if (window.motionsLive) { return; }  // included twice on one page: run once
  window.motionsLive = true;

  var THROTTLE = 300;   // ms between two fetches of one region
  var FALLBACK = 3000;  // ms between refreshes while the stream is down
  var GRACE = 5000;     // ms a broken stream may take to reconnect by itself
  var RETRY = 5000;     // ms before trying a new stream once the browser gave up

  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // ---------------------------------------------------------------- countdowns
  var pad = function (n) { return n < 10 ? "0" + n : String(n); };
  var tick = function () {
    var now = Date.now();
    each(document.querySelectorAll(".countdown[data-ends-at]"), function (el) {
      var end = Date.parse(el.getAttribute("data-ends-at"));
      if (isNaN(end)) { return; }
      var left = Math.max(0, Math.ceil((end - now) / 1000));
      var text = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
      if (el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("over", left === 0);
    });
  };
  tick();
  window.setInterval(tick, 1000);

  // ---------------------------------------------------------------- live regions
  var root = document.querySelector("[data-events]");
  if (!root || !window.fetch) { return; }

  var turnouts = {};  // "poll:ID" / "election:ID" -> the highest "voted" seen (counts only grow while open)
  var thousands = function (n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); };
  var setTurnout = function (what, id, voted) {
    if (typeof voted !== "number") { return; }
    var key = what + ":" + id;
    if (turnouts[key] !== undefined && turnouts[key] > voted) { voted = turnouts[key]; }
    turnouts[key] = voted;
    var text = thousands(voted);
    each(document.querySelectorAll("[data-turnout-" + what + '="' + id + '"]'), function (el) {
      if (el.textContent !== text) { el.textContent = text; }
    });
  };

  var listens = function (el, kind) {
    var kinds = (el.getAttribute("data-live") || "").split(/\s+/);
    for (var i = 0; i < kinds.length; i++) {
      var k = kinds[i];
      if (k && (k === kind || (k.charAt(k.length - 1) === "." && kind.indexOf(k) === 0))) { return true; }
    }
    return false;
  };

  // the regions to fetch for an event: those listening to it with no listening region around them
  var regionsFor = function (kind) {
    var found = [];
    each(document.querySelectorAll("[data-live][data-live-src]"), function (el) {
      if (kind !== null && !listens(el, kind)) { return; }
      for (var up = el.parentElement; up; up = up.parentElement) {
        if (up.hasAttribute("data-live") && up.hasAttribute("data-live-src") && (kind === null || listens(up, kind))) {
          return;
        }
      }
      found.push(el);
    });
    return found;
  };

  var editing = function (el) {
    var active = document.activeElement;
    if (!active || active === document.body || !el.contains(active)) { return false; }
    var tag = active.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(hidden|submit|button|reset|image)$/i.test(active.type));
  };

  var load = function (el, st) {
    st.last = Date.now();
    st.busy = true;
    fetch(el.getAttribute("data-live-src"), {
      credentials: "same-origin", cache: "no-store", headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      // signed out meanwhile (sent to sign in) or refused: keep what is shown
      if (!response.ok || response.redirected) { return null; }
      return response.text();
    }).then(function (html) {
      st.busy = false;
      if (html === null || !document.documentElement.contains(el)) { return; }
      if (editing(el)) {  // never pull a form field from under someone typing: try again later
        el.addEventListener("focusout", function () { schedule(el); }, { once: true });
        return;
      }
      el.innerHTML = html;  // server-rendered, escaped by the templates
      Object.keys(turnouts).forEach(function (key) {
        var parts = key.split(":");
        each(el.querySelectorAll("[data-turnout-" + parts[0] + '="' + parts[1] + '"]'), function (t) {
          var shown = parseInt(t.textContent.replace(/,/g, ""), 10);
          if (isNaN(shown) || shown < turnouts[key]) { t.textContent = thousands(turnouts[key]); }
        });
      });
      tick();
    }).catch(function () {
      st.busy = false;  // offline for a moment: the next event or the fallback tries again
    });
  };

  var schedule = function (el) {
    var st = el.liveState || (el.liveState = { last: 0, timer: null, busy: false });
    if (st.timer) { return; }  // a trailing fetch is already planned: it will show the latest state
    var wait = st.last + THROTTLE - Date.now();
    if (wait <= 0 && !st.busy) {
      load(el, st);
      return;
    }
    st.timer = window.setTimeout(function () {
      st.timer = null;
      schedule(el);
    }, Math.max(wait, 50));
  };

  var refreshAll = function () { regionsFor(null).forEach(schedule); };

  var handle = function (event) {
    if (!event || typeof event.kind !== "string") { return; }
    if (event.kind === "poll.turnout" && event.poll !== undefined) { setTurnout("poll", event.poll, event.voted); }
    if (event.kind === "election.turnout" && event.election !== undefined) {
      setTurnout("election", event.election, event.voted);
    }
    regionsFor(event.kind).forEach(schedule);
  };

  // ---------------------------------------------------------------- the stream, and the fallback
  var base = root.getAttribute("data-events");
  var source = null;
  var lastId = null;
  var downTimer = null;
  var fallbackTimer = null;
  var retryTimer = null;

  var startFallback = function () {
    downTimer = null;
    if (fallbackTimer) { return; }
    refreshAll();
    fallbackTimer = window.setInterval(refreshAll, FALLBACK);
  };

  var streamUrl = function () {
    if (lastId === null) { return base; }
    var url = new URL(base, window.location.href);
    url.searchParams.set("after", lastId);
    return url.pathname + url.search;
  };

  var connect = function () {
    retryTimer = null;
    if (!window.EventSource) { startFallback(); return; }
    source = new EventSource(streamUrl());
    source.onopen = function () {
      window.clearTimeout(downTimer);
      downTimer = null;
      if (fallbackTimer) {  // back from the fallback: catch up once, then follow the stream
        window.clearInterval(fallbackTimer);
        fallbackTimer = null;
        refreshAll();
      }
    };
    source.onmessage = function (message) {
      if (message.lastEventId) { lastId = message.lastEventId; }
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      handle(data);
    };
    source.onerror = function () {
      if (source.readyState === 2) {  // CLOSED: the browser will not reconnect by itself
        source.close();
        startFallback();
        if (!retryTimer) { retryTimer = window.setTimeout(connect, RETRY); }
        return;
      }
      // the stream ends every 120 s and the browser reconnects at once; only a stream that stays down falls back
      if (!downTimer && !fallbackTimer) { downTimer = window.setTimeout(startFallback, GRACE); }
    };
  };
  connect();
})();
