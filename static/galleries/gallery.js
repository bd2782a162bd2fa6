// Enhancements for the gallery page, which works without them: the next page
// loads as you scroll, and photos open in the viewer (templates/galleries/_viewer.html),
// which this script fills with a tile's photo and moves through the tiles; its zoom,
// swipes and keys are viewer.js's, which asks for a step with "viewer:step".
//
// The viewer keeps the address bar on the photo's own page (/g/<slug>/p/<key>/,
// which works without JavaScript): opening a photo pushes its URL, previous / next
// replace it, and Back closes the viewer on the gallery where it was. A gallery URL
// with ?photo=<key> opens that photo in the viewer; the server ignores the
// parameter, so the cached page is the same for it.
(function () {
  "use strict";
  const grid = document.getElementById("photo-grid");
  if (!grid) return;
  const viewer = document.getElementById("viewer");
  let loading = null;
  // The words shown, in the page's language: data-attributes of the grid (gallery_detail.html).
  const language = document.documentElement.lang || "en";
  const plurals = new Intl.PluralRules(language);
  function say(name, english, values) {
    let text = grid.dataset[name] || english;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }
  function sayCounted(name, count, english, values) {
    return say(name + (plurals.select(count) === "one" ? "One" : "Other"), english, values);
  }

  function nextLink() { return grid.querySelector(".pager-next"); }

  function loadMore() {
    const link = nextLink();
    if (!link) return Promise.resolve(false);
    if (loading) return loading;
    const url = new URL(link.href, location.href);
    url.searchParams.set("fragment", "1");
    link.textContent = say("loading", "Loading…");
    loading = fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        const template = document.createElement("template");
        template.innerHTML = html;
        const pager = grid.querySelector(".pager");
        if (pager) pager.remove();
        grid.appendChild(template.content);
        updatePager();
        observe();
        return true;
      })
      .catch(function () {
        link.textContent = say("nextPage", "Next page →");  // the plain link still works
        return false;
      })
      .finally(function () { loading = null; });
    return loading;
  }

  // The page the visitor opened (?page=N without JavaScript): the link back to the
  // pages before it is kept when the tiles after it have all been appended.
  const previousLink = grid.querySelector(".pager-previous");
  const formatted = new Intl.NumberFormat(language);

  // After an appended page, the pager says how far the visitor has come rather than
  // "Page 2 of 2": how many photos are shown, and at the end that all of them are.
  function updatePager() {
    const pager = grid.querySelector(".pager");
    if (!pager) return;
    const total = parseInt(grid.dataset.total || "0", 10);
    const shown = grid.querySelectorAll(".tile").length;
    const position = pager.querySelector(".pager-position");
    const previous = pager.querySelector(".pager-previous");
    if (previous) previous.remove();
    if (previousLink) pager.prepend(previousLink);
    if (nextLink()) {
      if (position && !previousLink) position.textContent = sayCounted("shown", total, "{shown} of {total} photos", { shown: formatted.format(shown), total: formatted.format(total) });
      return;
    }
    if (position) position.remove();
    const done = document.createElement("p");
    done.className = "pager-done";
    done.setAttribute("role", "status");
    const values = { total: formatted.format(total) };
    done.textContent = previousLink ? sayCounted("end", total, "End of the gallery: {total} photos in all", values) : sayCounted("all", total, "All {total} photos shown", values);
    pager.append(done);
  }

  let observer = null;
  function observe() {
    const pager = grid.querySelector(".pager");
    if (!pager || !nextLink() || !("IntersectionObserver" in window)) return;
    if (!observer) {
      observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) { observer.unobserve(entry.target); loadMore(); }
        });
      }, { rootMargin: "800px 0px" });
    }
    observer.observe(pager);
  }
  observe();

  if (!viewer || typeof viewer.showModal !== "function") return;
  const image = viewer.querySelector(".viewer-image");
  const position = viewer.querySelector(".viewer-position");
  const name = viewer.querySelector(".viewer-name");
  const download = viewer.querySelector(".viewer-download");
  const share = viewer.querySelector(".viewer-share");
  const caption = viewer.querySelector(".viewer-caption");
  const addedBy = viewer.dataset.addedByText || "Added by {name}";
  const total = parseInt(grid.dataset.total || "0", 10);
  let current = -1;

  function tiles() { return grid.querySelectorAll(".tile"); }

  // The viewer's image fits the stage below the bar (viewer.css), never larger than the
  // display image: with these sizes a phone takes the middle or display size from the
  // tile's srcset, and a large screen the display one (viewer.js asks for more when zoomed).
  function setSources(img, tile) {
    const width = parseInt(tile.dataset.width, 10), height = parseInt(tile.dataset.height, 10);
    img.sizes = "min(100vw, calc((100vh - 3.5rem) * " + (width / height).toFixed(4) + "), " + width + "px)";
    delete img.dataset.renewed;  // photo-addresses.js may renew this photo's URL again
    if (tile.dataset.srcset) img.srcset = tile.dataset.srcset;
    img.src = tile.dataset.display;
  }

  function show(index) {
    const all = tiles();
    if (index < 0 || index >= all.length) return;
    current = index;
    const tile = all[index];
    image.width = tile.dataset.width;
    image.height = tile.dataset.height;
    viewer.dispatchEvent(new CustomEvent("viewer:show", { detail: { tile: tile } }));  // viewer.js, favourites.js
    setSources(image, tile);
    image.alt = tile.querySelector("img").alt;
    name.textContent = tile.dataset.name || "";
    // A guest's photo says who added it, as its tile's title and its photo page do.
    caption.textContent = tile.dataset.addedBy ? addedBy.replace("{name}", tile.dataset.addedBy) : "";
    caption.hidden = !tile.dataset.addedBy;
    if (download) download.href = tile.dataset.download;  // no link when downloads are off
    if (share) share.dataset.shareUrl = tile.href;
    if (viewer.open) history.replaceState({ viewer: true }, "", tile.href);
    position.textContent = (index + 1) + " / " + (total || all.length);
    viewer.querySelector(".viewer-previous").disabled = index === 0;
    viewer.querySelector(".viewer-next").disabled = index === all.length - 1 && !nextLink();
    if (all[index + 1]) setSources(new Image(), all[index + 1]);  // preload the size the viewer will take
    if (index >= all.length - 3) loadMore();
  }

  function step(delta) {
    const target = current + delta;
    if (target < 0) return;
    if (target >= tiles().length) {
      loadMore().then(function (loaded) { if (loaded) show(target); });
    } else {
      show(target);
    }
  }

  function open(tile) {
    show(Array.prototype.indexOf.call(tiles(), tile));
    history.pushState({ viewer: true }, "", tile.href);
    viewer.showModal();
  }

  grid.addEventListener("click", function (event) {
    const tile = event.target.closest(".tile");
    if (!tile || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    open(tile);
  });
  // Back from the photo's URL closes the viewer (whose close handler then finds the
  // photo's entry gone and leaves history alone); Forward to it opens it again.
  window.addEventListener("popstate", function () {
    const onPhoto = history.state && history.state.viewer;
    if (viewer.open && !onPhoto) viewer.close();
    if (!viewer.open && onPhoto) {
      const tile = grid.querySelector('.tile[href="' + location.pathname + '"]');
      if (!tile) { history.back(); return; }
      show(Array.prototype.indexOf.call(tiles(), tile));
      viewer.showModal();
    }
  });
  viewer.querySelector(".viewer-previous").addEventListener("click", function () { step(-1); });
  viewer.querySelector(".viewer-next").addEventListener("click", function () { step(1); });
  // Swipes and arrow keys (viewer.js).
  viewer.addEventListener("viewer:step", function (event) { step(event.detail.delta); });
  viewer.querySelector(".viewer-close").addEventListener("click", function () { viewer.close(); });
  viewer.addEventListener("close", function () {
    // Closed by its button or Escape: leave the photo's URL as Back would.
    if (history.state && history.state.viewer) history.back();
    const tile = tiles()[current];
    if (tile) tile.focus();
    image.removeAttribute("srcset");
    image.removeAttribute("src");
  });

  // ?photo=<key>: the photo opens in the viewer, from a later page of tiles if need be.
  const params = new URLSearchParams(location.search);
  const wanted = params.get("photo");
  if (wanted && /^[0-9a-f-]{36}$/i.test(wanted)) {
    params.delete("photo");
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    const find = function () {
      const tile = grid.querySelector('.tile[href$="/p/' + wanted.toLowerCase() + '/"]');
      if (tile) { open(tile); return; }
      loadMore().then(function (loaded) { if (loaded) find(); });
    };
    find();
  }
})();
