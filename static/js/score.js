// Renders every score on the page with abcjs. The ABC comes from a JSON <script>
// beside the render target (data-abc-source names it), so no markup escaping is involved.
(function () {
  function renderScores(root) {
    root.querySelectorAll("[data-abc-source]").forEach(function (container) {
      if (container.dataset.rendered) return;
      var source = document.getElementById(container.dataset.abcSource);
      var target = container.querySelector(".abc-render");
      if (!source || !target || !window.ABCJS) return;
      var abc = JSON.parse(source.textContent);
      var visualObj = ABCJS.renderAbc(target, abc, { responsive: "resize", add_classes: true, staffwidth: 900 })[0];
      document.dispatchEvent(new CustomEvent("rescored:rendered", { detail: { visualObj: visualObj, abc: abc, partId: null, revision: null } }));
      container.dataset.rendered = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderScores(document); });
  document.addEventListener("htmx:afterSettle", function (event) { renderScores(event.target); });
})();
