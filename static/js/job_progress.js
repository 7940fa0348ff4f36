// Live job progress. The server pushes state over a WebSocket; while the socket is
// not open, window.rescoredSocketDown is true and the status region polls with HTMX
// (see hx-trigger in job_detail.html), so the page keeps working without it.
(function () {
  window.rescoredSocketDown = true;
  var region = document.getElementById("job-status");
  function ended(status) { return status === "done" || status === "failed" || status === "cancelled"; }
  if (!region || ended(region.dataset.status)) return;

  var jobId = region.dataset.jobId;
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var retryDelay = 1000;

  function refreshRegion() {
    var current = document.getElementById("job-status");
    if (current && window.htmx) {
      htmx.ajax("GET", location.pathname, { target: current, swap: "outerHTML" });
    }
  }

  function show(state) {
    var current = document.getElementById("job-status");
    if (!current) return;
    if (ended(state.status)) {
      refreshRegion();  // the server renders the finished state (score or error)
      return;
    }
    var bar = current.querySelector(".bar");
    var stage = current.querySelector("[data-stage]");
    var percent = current.querySelector("[data-percent]");
    var progress = current.querySelector("[role=progressbar]");
    if (bar) bar.style.width = state.percent + "%";
    if (progress) progress.setAttribute("aria-valuenow", state.percent);
    if (stage) stage.textContent = state.stage || state.status_display;
    if (percent) percent.textContent = state.percent;
    var timings = current.querySelector("[data-timings]");
    if (timings && state.stage_timings) {  // [[stage, seconds], ...] in the order they ran
      timings.replaceChildren.apply(timings, state.stage_timings.map(function (pair) {
        var span = document.createElement("span");
        span.className = "timing";
        span.textContent = pair[0] + " " + Number(pair[1]).toFixed(1) + " s";
        return span;
      }));
    }
  }

  function connect() {
    var socket = new WebSocket(scheme + location.host + "/ws/jobs/" + jobId + "/");
    var finished = false;
    socket.onopen = function () { window.rescoredSocketDown = false; retryDelay = 1000; };
    socket.onmessage = function (message) {
      var state = JSON.parse(message.data);
      if (ended(state.status)) { finished = true; socket.close(); }
      show(state);
    };
    socket.onclose = function () {
      window.rescoredSocketDown = true;
      if (!finished) {
        setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    };
  }
  connect();
})();
