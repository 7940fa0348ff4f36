// The print view: the score engraved by abcjs at paper width, one SVG per system so
// page breaks fall between systems, never through one.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector(".print-score");
    var abc = JSON.parse(document.getElementById("print-abc").textContent);
    ABCJS.renderAbc(target, abc, { staffwidth: 740, oneSvgPerLine: true, add_classes: true, scale: 1 });
    target.dataset.rendered = "1";
    document.querySelector("[data-print]").addEventListener("click", function () { window.print(); });
  });
})();
