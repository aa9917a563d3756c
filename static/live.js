// The meeting day's live pages (console, a member's tablet, the screen): follow the meeting without reload.
// The server pushes the live state over Server-Sent Events (live/events); on a new version the page's live
// region is fetched again (X-Live-Fragment) and swapped in. A lost connection reconnects by itself
// (EventSource, Last-Event-ID); after a reconnect, and when the tablet wakes up, live.json is revalidated with
// its ETag, so nothing missed stays missed. Forms in the live region are sent with fetch() (JSON answer);
// without JavaScript every form still works with an ordinary post and reload.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-root]");
  if (!root || !window.fetch) return;
  var version = parseInt(root.dataset.version, 10);
  var etag = null;
  var source = null;
  var refreshing = false;
  var again = false;
  var shown = null;  // the live region's HTML as last swapped in

  function status(message, isError) {
    var box = document.getElementById("live-status");
    if (!box) {
      box = document.createElement("p");
      box.id = "live-status";
      box.setAttribute("role", isError ? "alert" : "status");
      box.className = "live-status";
      root.parentNode.insertBefore(box, root);
    }
    box.textContent = message || "";
    box.className = "live-status" + (isError ? " flash flash-error" : "");
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(window.location.href, {headers: {"X-Live-Fragment": "1"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("[data-live-root]");
        present(page.querySelector("[data-presenting]"));
        // Swap only what changed: a second refresh of the same version (the action's own answer, then the
        // stream's event) leaves the buttons in place, so a tap that is under way is not lost with them.
        if (fresh && fresh.innerHTML !== shown) {
          shown = fresh.innerHTML;
          root.innerHTML = shown;
          tick();
        }
        if (fresh) {
          root.dataset.version = fresh.dataset.version;
          version = parseInt(fresh.dataset.version, 10);
        }
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  // 「この資料を全員に表示」: the box outside the live region keeps its viewer; a new 資料 replaces it, a new page
  // turns it (unless this tablet's 「発表者に合わせる」 is off because its member turned pages themselves).
  var box = document.querySelector("[data-presenting]");
  var following = true;

  function present(fresh) {
    if (!box || !fresh) return;
    var id = fresh.dataset.attachmentId, page = fresh.dataset.page;
    box.hidden = !id;
    if (id !== box.dataset.attachmentId) {
      box.querySelector("[data-presenting-title]").innerHTML = fresh.querySelector("[data-presenting-title]").innerHTML;
      box.querySelector("[data-presenting-viewer]").innerHTML = fresh.querySelector("[data-presenting-viewer]").innerHTML;
      box.dataset.attachmentId = id;
      box.dataset.page = page;
      follow(true);
      document.dispatchEvent(new CustomEvent("liaison:viewers-added"));
    } else if (page !== box.dataset.page) {
      box.dataset.page = page;
      if (following) turn();
    }
  }

  function turn() {
    document.dispatchEvent(new CustomEvent("liaison:follow-page", {
      detail: {attachmentId: Number(box.dataset.attachmentId), page: Number(box.dataset.page)}}));
  }

  function follow(on) {
    following = on;
    var button = box.querySelector("[data-follow]"), hint = box.querySelector("[data-follow-hint]");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    if (hint) hint.hidden = on;
  }

  if (box && box.querySelector("[data-follow]")) {  // the tablet; the console and the screen always follow
    box.addEventListener("click", function (event) {
      if (event.target.closest("[data-follow]")) { follow(true); turn(); }
      else if (event.target.closest("[data-pdf-prev], [data-pdf-next]")) follow(false);
    });
    box.addEventListener("change", function (event) { if (event.target.matches("[data-pdf-page-input]")) follow(false); });
    box.addEventListener("keydown", function (event) {
      if (/^(ArrowLeft|ArrowRight|PageUp|PageDown)$/.test(event.key)) follow(false);
    });
  }

  function catchUp() {
    var headers = {"Accept": "application/json"};
    if (etag) headers["If-None-Match"] = etag;
    fetch(root.dataset.liveUrl, {headers: headers, credentials: "same-origin"})
      .then(function (response) {
        if (response.status === 304) return null;
        etag = response.headers.get("ETag");
        return response.ok ? response.json() : null;
      })
      .then(function (state) { if (state && state.version !== version) refresh(); })
      .catch(function () {});
  }

  function connect() {
    var url = root.dataset.eventsUrl;
    url += (url.indexOf("?") < 0 ? "?" : "&") + "v=" + version;
    source = new EventSource(url);
    var lost = false;
    source.addEventListener("state", function (event) {
      var state = JSON.parse(event.data);
      status("");
      if (state.version !== version) refresh();
    });
    source.addEventListener("open", function () {
      if (lost) { lost = false; catchUp(); }
    });
    source.addEventListener("error", function () {
      lost = true;
      if (source.readyState === EventSource.CLOSED) {  // refused (e.g. 403): try again later
        source.close();
        setTimeout(connect, 5000);
      }
    });
  }

  function tick() {
    var spans = root.querySelectorAll(".elapsed[data-started-at]");
    for (var i = 0; i < spans.length; i++) {
      var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(spans[i].dataset.startedAt)) / 60000));
      var target = spans[i].querySelector(".elapsed-minutes");
      if (target) target.textContent = String(minutes);
    }
  }

  // On window: after actions.js's data-confirm question (a listener on document) had its say.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !root.contains(form) || (form.method || "").toLowerCase() !== "post") return;
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json().catch(function () { return {error: String(response.status)}; }); })
      .then(function (answer) {
        status(answer.error || answer.message || "", !!answer.error);
        for (var j = 0; j < buttons.length; j++) buttons[j].disabled = false;  // a refused action changes nothing
        refresh();
      })
      .catch(function () { form.submit(); });  // the network failed: an ordinary post (and reload)
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) catchUp(); });
  window.addEventListener("online", catchUp);
  setInterval(tick, 30000);
  connect();
})();
