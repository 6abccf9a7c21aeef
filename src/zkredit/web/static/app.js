// ZKredit dashboard: live fragments and countdowns. The pages work without it
// (forms post normally); with it, the live parts refresh in place.
(function () {
  "use strict";
  function fetchInto(el, url, body) {
    var opts = { headers: { "X-Fragment": "1" }, credentials: "same-origin" };
    if (body) {
      opts.method = "POST";
      opts.body = body;
      opts.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    return fetch(url, opts).then(function (r) {
      if (r.status === 401 && r.headers.get("X-Login")) { location.href = r.headers.get("X-Login"); return; }
      return r.text().then(function (t) { el.innerHTML = t; wire(el); });
    }).catch(function () {
      el.setAttribute("data-stale", "1");
    });
  }
  function poll(el) {
    var url = el.getAttribute("data-poll");
    var every = parseInt(el.getAttribute("data-every") || "1000", 10);
    function tick() {
      if (!document.body.contains(el) || el.querySelector("[data-final]")) return;
      fetchInto(el, url).then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }
  function countdowns(root) {
    root.querySelectorAll("[data-expires]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("data-expires"));
      function show() {
        var s = Math.max(0, Math.round((end - Date.now()) / 1000));
        el.textContent = s > 0 ? "expires in " + s + " s" : "expired: get a new quote";
        el.classList.toggle("expired", s === 0);
        if (s > 0) setTimeout(show, 1000);
        else {
          var form = document.getElementById("send-form");
          if (form && el.hasAttribute("data-requote")) requote(form);
        }
      }
      show();
    });
  }
  function requote(form) {
    var target = document.getElementById("quote");
    if (!target) return;
    var data = new URLSearchParams(new FormData(form)).toString();
    fetchInto(target, "/worker/quote", data);
  }
  function wire(root) {
    countdowns(root);
    root.querySelectorAll("[data-poll]").forEach(poll);
  }
  document.addEventListener("DOMContentLoaded", function () {
    wire(document);
    var form = document.getElementById("send-form");
    if (form) {
      var timer = null;
      form.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { requote(form); }, 400);
      });
      var btn = document.getElementById("get-quote");
      if (btn) btn.addEventListener("click", function (e) { e.preventDefault(); requote(form); });
    }
  });
})();
