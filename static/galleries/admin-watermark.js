// The gallery form's watermark preview (galleries/admin.py, watermark_preview) follows
// the watermark's settings as they are changed: the preview image is asked for again
// with them in its query. Without this script it shows the saved watermark.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const preview = document.querySelector("img.watermark-preview");
  if (!preview) return;
  const names = ["watermark", "watermark_text", "watermark_position", "watermark_opacity", "watermark_size"];
  const fields = names.map(function (name) {
    return document.getElementById("id_" + name);
  });
  if (fields.some(function (field) { return !field; })) return;
  let timer = null;
  const update = function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      const query = new URLSearchParams();
      names.forEach(function (name, i) { query.set(name, fields[i].value); });
      preview.src = preview.dataset.previewUrl + "?" + query.toString();
    }, 400);
  };
  fields.forEach(function (field) {
    field.addEventListener("input", update);
    field.addEventListener("change", update);
  });
});
