// The gallery form's address hint (galleries/admin_forms.py, address_hint) follows the slug
// as it is typed, or filled in from the name by the admin's prepopulate script. Without
// this script the hint shows the saved address.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const slug = document.getElementById("id_slug");
  const shown = document.querySelector(".gallery-address-slug");
  if (!slug || !shown) return;
  const update = function () {
    shown.textContent = slug.value.trim() || shown.dataset.placeholder;
  };
  // Listened to on the document: the prepopulate script fills the slug on the name
  // field's keyup and change, before these reach the document.
  for (const type of ["input", "keyup", "change"]) document.addEventListener(type, update);
  update();
});
