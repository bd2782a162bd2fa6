// Favourites (hearts) without a reload. The pages work without this script: the photo
// page and My favourites hold plain forms that post and come back.
//
// The gallery page is the same cached page for everyone, so it holds nothing of this
// device: the script asks /g/<slug>/favourites/state for the device's hearts (which
// also sets the CSRF cookie), then shows a heart on each tile and in the viewer. Hearts
// are sent with the token read from that cookie.
(function () {
  "use strict";
  const STAND_IN = "00000000-0000-0000-0000-000000000000";
  const KEY = /\/p\/([0-9a-f-]{36})\//i;
  // The words shown, in the page's language: data-attributes the templates render.
  const words = document.querySelector("[data-add-label]");
  function say(name, english) { return (words && words.dataset[name]) || english; }

  function csrfToken() {
    const found = document.cookie.split(";").map(function (part) { return part.trim(); })
      .find(function (part) { return part.indexOf("csrftoken=") === 0; });
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
  }

  function send(url, favourite, body) {
    body = body || new FormData();
    body.set("favourite", favourite ? "1" : "0");
    const headers = { Accept: "application/json" };
    if (!body.has("csrfmiddlewaretoken")) headers["X-CSRFToken"] = csrfToken();
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(data.error || say("failed", "That did not work. Please try again."));
          return data;
        });
      });
  }

  function press(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.classList.toggle("is-favourite", on);
  }

  // Plain forms (photo page, My favourites): sent by fetch, the heart changes in place.
  document.addEventListener("submit", function (event) {
    const form = event.target.closest ? event.target.closest(".heart-form") : null;
    if (!form) return;
    event.preventDefault();
    const input = form.querySelector('input[name="favourite"]');
    const button = form.querySelector(".heart-button");
    const wanted = input.value === "1";
    button.disabled = true;
    send(form.action, wanted, new FormData(form)).then(function (data) {
      input.value = data.favourite ? "0" : "1";
      press(button, data.favourite);
      const label = form.querySelector(".heart-label");
      if (label) label.textContent = data.favourite ? say("favouriteLabel", "Favourite") : say("addLabel", "Add to favourites");
      if (button.hasAttribute("aria-label")) {
        button.setAttribute("aria-label", data.favourite ? say("removeLabel", "Remove from favourites") : say("addLabel", "Add to favourites"));
      }
    }).catch(function (error) { window.alert(error.message); })
      .finally(function () { button.disabled = false; });
  });

  // The gallery page: hearts on the tiles and in the viewer.
  const start = document.querySelector("[data-favourites-state]");
  const grid = document.getElementById("photo-grid");
  if (!start || !grid) return;
  const setUrl = start.dataset.favouritesSet;
  const count = start.querySelector(".favourites-count");
  const viewer = document.getElementById("viewer");
  const viewerHeart = viewer ? viewer.querySelector(".viewer-heart") : null;
  const hearted = new Set();
  let viewerKey = null;
  let loaded = false;

  function keyOf(tile) {
    const match = KEY.exec(tile.getAttribute("href") || "");
    return match ? match[1].toLowerCase() : null;
  }

  // A tile's heart is the button beside its link, in the same box.
  function heartOf(tile) {
    return tile.parentElement ? tile.parentElement.querySelector(".tile-heart") : null;
  }

  function paintTile(tile) {
    const heart = heartOf(tile);
    const key = keyOf(tile);
    if (!heart || !key) return;
    const on = hearted.has(key);
    const label = on ? say("removeLabel", "Remove from favourites") : say("addLabel", "Add to favourites");
    heart.hidden = false;
    heart.classList.toggle("is-favourite", on);
    heart.setAttribute("aria-pressed", on ? "true" : "false");
    heart.setAttribute("aria-label", label);
    heart.title = label;
  }

  function paint() {
    if (!loaded) return;
    grid.querySelectorAll(".tile").forEach(paintTile);
    if (viewerHeart && viewerKey) {
      viewerHeart.hidden = false;
      press(viewerHeart, hearted.has(viewerKey));
      viewerHeart.setAttribute("aria-label", hearted.has(viewerKey) ? say("removeLabel", "Remove from favourites") : say("addLabel", "Add to favourites"));
    }
    if (count) count.textContent = hearted.size ? "(" + hearted.size + ")" : "";
  }

  let pending = false;
  function toggle(key) {
    if (pending) return;
    pending = true;
    const wanted = !hearted.has(key);
    // Shown at once; put back if the server says no.
    if (wanted) hearted.add(key); else hearted.delete(key);
    paint();
    send(setUrl.replace(STAND_IN, key), wanted).then(function (data) {
      if (data.favourite) hearted.add(key); else hearted.delete(key);
    }).catch(function (error) {
      if (wanted) hearted.delete(key); else hearted.add(key);
      window.alert(error.message);
    }).finally(function () { pending = false; paint(); });
  }

  fetch(start.dataset.favouritesState, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (data) {
      data.photos.forEach(function (key) { hearted.add(key.toLowerCase()); });
      loaded = true;
      grid.classList.add("has-hearts");
      paint();
      // Tiles that the infinite scroll adds get their hearts too.
      new MutationObserver(function () { grid.querySelectorAll(".tile").forEach(paintTile); })
        .observe(grid, { childList: true });
      // Before gallery.js's own click handler, which would open the viewer.
      grid.addEventListener("click", function (event) {
        const heart = event.target.closest(".tile-heart");
        if (!heart) return;
        event.preventDefault();
        event.stopPropagation();
        const tile = heart.parentElement ? heart.parentElement.querySelector(".tile") : null;
        const key = tile ? keyOf(tile) : null;
        if (key) toggle(key);
      }, true);
      if (viewerHeart) viewerHeart.addEventListener("click", function () { if (viewerKey) toggle(viewerKey); });
    })
    .catch(function () { /* no hearts on this page: the photo pages still have their forms */ });

  if (viewer) {
    viewer.addEventListener("viewer:show", function (event) {
      viewerKey = keyOf(event.detail.tile);
      paint();
    });
  }
})();
