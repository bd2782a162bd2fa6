// The cover's focal point on the gallery's change form (galleries/admin.py, cover_focus):
// a click on the cover fills the two numbers (percent across and down) and moves the
// mark; numbers typed move it too. Without this script the numbers are typed by hand.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const frame = document.querySelector(".cover-focus");
  const across = document.getElementById("id_cover_focal_x");
  const down = document.getElementById("id_cover_focal_y");
  if (!frame || !across || !down) return;
  const image = frame.querySelector(".cover-focus-image");
  const mark = frame.querySelector(".cover-focus-mark");
  const place = function (x, y) {
    mark.style.left = x + "%";
    mark.style.top = y + "%";
  };
  const clamp = function (value) {
    return Math.min(100, Math.max(0, Math.round(value)));
  };
  image.addEventListener("click", function (event) {
    const box = image.getBoundingClientRect();
    const x = clamp(((event.clientX - box.left) / box.width) * 100);
    const y = clamp(((event.clientY - box.top) / box.height) * 100);
    across.value = x;
    down.value = y;
    place(x, y);
  });
  const typed = function () {
    const x = across.value === "" ? Number(frame.dataset.x) : clamp(Number(across.value));
    const y = down.value === "" ? Number(frame.dataset.y) : clamp(Number(down.value));
    if (!Number.isNaN(x) && !Number.isNaN(y)) place(x, y);
  };
  across.addEventListener("input", typed);
  down.addEventListener("input", typed);
});
