// The print view: the score as it stands now, engraved by abcjs at paper width.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector(".print-score");
    var abc = JSON.parse(document.getElementById("print-abc").textContent);
    ABCJS.renderAbc(target, abc, { staffwidth: 740, add_classes: true });
    target.dataset.rendered = "1";
    document.querySelector("[data-print]").addEventListener("click", function () { window.print(); });
  });
})();
