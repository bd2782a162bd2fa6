// Hide photos of me, enhanced: a "Select all" box over the photos' own. Without it the
// form's second button hides all of them.
(function () {
  "use strict";
  const all = document.querySelector("[data-hide-all]");
  if (!all) return;
  const boxes = Array.prototype.slice.call(document.querySelectorAll("[data-hide-photo]"));
  all.closest("label").hidden = false;
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      all.checked = boxes.every(function (b) { return b.checked; });
    });
  });
})();
