// The viewer's zoom, gestures and keys (templates/galleries/_viewer.html), on the gallery
// page, whose viewer gallery.js fills with the photo of a tile, and on the photo page,
// which is the same viewer rendered by the server around one photo.
//
// - Zoom from 1x to 3x: two fingers pinch, a double tap, the wheel, a click with a mouse,
//   + and -; while zoomed one finger or the mouse pans. Escape or 0 resets it (Escape
//   closes the viewer once the photo is whole again).
// - A swipe steps to the previous / next photo only while the photo is whole; the arrow
//   keys step always. A step is asked for with a "viewer:step" event (detail.delta) that
//   gallery.js answers; on the photo page it follows the page's previous / next link.
// - Zoomed past the size drawn, the image's `sizes` grows to what is drawn, so that the
//   browser loads the largest size of its srcset (the display image) if it showed a
//   smaller one. gallery.js sets `sizes` again for each photo; "viewer:show" resets zoom.
// - The download menu (its sizes, and the photo's Info) is the photo page's own: on the
//   gallery page it shows the tile's download at first and, once opened, takes the
//   sizes and the Info from the photo's page, once for each photo shown.
// Without this script the photo page is still the viewer: links, a form and <details>.
(function () {
  "use strict";
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  const stage = viewer.querySelector(".viewer-stage");
  const image = viewer.querySelector(".viewer-image");
  const menus = Array.from(viewer.querySelectorAll("details.viewer-pop"));
  const downloadMenu = viewer.querySelector(".viewer-sizes");
  const downloadList = viewer.querySelector(".viewer-sizes-list");
  const onPhotoPage = viewer.classList.contains("viewer-page");
  const MAX_SCALE = 3;
  const TAP_SCALE = 2.5;
  const DOUBLE_TAP_MS = 300;
  const TAP_SLOP_PX = 10;
  const SWIPE_PX = 50;
  const KEY_FACTOR = 1.5;

  let scale = 1, x = 0, y = 0;
  viewer.classList.add("has-gestures");

  // The image is centred in the stage; its layout box (offsetWidth, untouched by the
  // transform) is the photo drawn whole. A point p of it is drawn at c + t + scale·(p − c).
  function frame() {
    const rect = stage.getBoundingClientRect();
    return {
      cx: rect.left + rect.width / 2, cy: rect.top + rect.height / 2,
      stageWidth: rect.width, stageHeight: rect.height,
      width: image.offsetWidth, height: image.offsetHeight,
    };
  }

  function clampPan(box) {
    const maxX = Math.max(0, (box.width * scale - box.stageWidth) / 2);
    const maxY = Math.max(0, (box.height * scale - box.stageHeight) / 2);
    x = Math.min(maxX, Math.max(-maxX, x));
    y = Math.min(maxY, Math.max(-maxY, y));
  }

  function draw(animate) {
    image.classList.toggle("is-animating", Boolean(animate));
    image.style.transform = scale === 1 ? "" : "translate(" + x + "px, " + y + "px) scale(" + scale + ")";
    viewer.classList.toggle("is-zoomed", scale > 1);
    viewer.dataset.zoom = scale.toFixed(2);
  }

  // Zooms to `target` keeping the photo's point under (fx, fy) where it is.
  function zoomTo(target, fx, fy, animate) {
    const box = frame();
    if (fx === undefined) { fx = box.cx; fy = box.cy; }
    const next = Math.min(MAX_SCALE, Math.max(1, target));
    const px = (fx - box.cx - x) / scale, py = (fy - box.cy - y) / scale;
    x = fx - box.cx - next * px;
    y = fy - box.cy - next * py;
    scale = next;
    if (scale <= 1.01) { scale = 1; x = 0; y = 0; }
    clampPan(box);
    draw(animate);
  }

  function reset(animate) { scale = 1; x = 0; y = 0; draw(animate); }

  let sharpenTimer = 0;
  function sharpen() {
    clearTimeout(sharpenTimer);
    sharpenTimer = setTimeout(function () {
      if (scale <= 1 || !image.srcset) return;
      const drawn = Math.ceil(image.offsetWidth * scale);
      const asked = parseInt(image.dataset.zoomSizes || "0", 10);
      if (drawn > asked && drawn > image.offsetWidth) {
        image.dataset.zoomSizes = String(drawn);
        image.sizes = drawn + "px";
      }
    }, 150);
  }

  function toggleZoom(fx, fy) {
    if (scale > 1) zoomTo(1, fx, fy, true); else zoomTo(TAP_SCALE, fx, fy, true);
    sharpen();
  }

  function closeMenu() { menus.forEach(function (menu) { menu.open = false; }); }
  function openMenu() { return menus.find(function (menu) { return menu.open; }); }

  function step(delta) {
    closeMenu();
    if (!onPhotoPage) {
      viewer.dispatchEvent(new CustomEvent("viewer:step", { detail: { delta: delta } }));
      return;
    }
    const link = viewer.querySelector(delta < 0 ? 'a[rel="prev"]' : 'a[rel="next"]');
    if (link) location.replace(link.href);  // as the gallery's viewer: Back leaves the photos
  }

  // Pointers: one pans (zoomed) or swipes (whole), or taps; two pinch.
  const pointers = new Map();
  let gesture = null;
  let lastTap = null;

  function midpoint() {
    const [a, b] = Array.from(pointers.values());
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, distance: Math.hypot(a.x - b.x, a.y - b.y) || 1 };
  }

  function startOne(point, time, moved, onImage) {
    gesture = { kind: "one", startX: point.x, startY: point.y, x0: x, y0: y, time: time, moved: moved, onImage: onImage };
  }

  stage.addEventListener("pointerdown", function (event) {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    try { stage.setPointerCapture(event.pointerId); } catch (error) { /* the pointer is gone */ }
    if (pointers.size === 1) {
      startOne({ x: event.clientX, y: event.clientY }, event.timeStamp, false, event.target === image);
    } else if (pointers.size === 2) {
      const m = midpoint();
      gesture = { kind: "pinch", startX: m.x, startY: m.y, distance: m.distance, scale0: scale, x0: x, y0: y };
      lastTap = null;
    }
  });

  stage.addEventListener("pointermove", function (event) {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (gesture.kind === "pinch" && pointers.size >= 2) {
      const m = midpoint(), box = frame();
      const next = Math.min(MAX_SCALE, Math.max(1, gesture.scale0 * m.distance / gesture.distance));
      // The photo's point under the fingers' first midpoint follows the midpoint.
      const px = (gesture.startX - box.cx - gesture.x0) / gesture.scale0;
      const py = (gesture.startY - box.cy - gesture.y0) / gesture.scale0;
      scale = next;
      x = m.x - box.cx - scale * px;
      y = m.y - box.cy - scale * py;
      if (scale === 1) { x = 0; y = 0; }
      clampPan(box);
      draw(false);
      return;
    }
    if (gesture.kind !== "one") return;
    const dx = event.clientX - gesture.startX, dy = event.clientY - gesture.startY;
    if (Math.abs(dx) > TAP_SLOP_PX || Math.abs(dy) > TAP_SLOP_PX) gesture.moved = true;
    if (scale > 1 && gesture.moved) {
      viewer.classList.add("is-panning");
      x = gesture.x0 + dx;
      y = gesture.y0 + dy;
      clampPan(frame());
      draw(false);
    }
  });

  function pointerEnd(event) {
    if (!pointers.has(event.pointerId)) return;
    const point = pointers.get(event.pointerId);
    pointers.delete(event.pointerId);
    viewer.classList.remove("is-panning");
    if (!gesture) return;
    if (gesture.kind === "pinch") {
      sharpen();
      // The finger left on the screen pans on from where it is; it never taps or swipes.
      if (pointers.size === 1) startOne(pointers.values().next().value, event.timeStamp, true, false);
      else gesture = null;
      return;
    }
    const ended = gesture;
    gesture = null;
    if (event.type === "pointercancel") return;
    const dx = point.x - ended.startX, dy = point.y - ended.startY;
    if (!ended.moved) {
      tap(event, ended.onImage);
    } else if (scale === 1 && Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy)) {
      step(dx < 0 ? 1 : -1);
    }
  }
  stage.addEventListener("pointerup", pointerEnd);
  stage.addEventListener("pointercancel", pointerEnd);

  // A mouse zooms with one click (on the photo); a finger or pen with two taps.
  // (Captured, the pointer's up event is the stage's: where it went down says if it was on the photo.)
  function tap(event, onImage) {
    closeMenu();
    if (event.pointerType === "mouse") {
      if (onImage || scale > 1) toggleZoom(event.clientX, event.clientY);
      return;
    }
    const near = lastTap && Math.hypot(event.clientX - lastTap.x, event.clientY - lastTap.y) < 40;
    if (near && event.timeStamp - lastTap.time < DOUBLE_TAP_MS) {
      lastTap = null;
      toggleZoom(event.clientX, event.clientY);
    } else {
      lastTap = { x: event.clientX, y: event.clientY, time: event.timeStamp };
    }
  }

  stage.addEventListener("wheel", function (event) {
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    // A trackpad's pinch comes as the wheel with ctrlKey, in small steps.
    const factor = Math.exp(-event.deltaY * lines * (event.ctrlKey ? 0.01 : 0.002));
    zoomTo(scale * factor, event.clientX, event.clientY, false);
    sharpen();
  }, { passive: false });

  let escapeReset = false;
  // The photo page is all viewer: its keys work wherever the focus is.
  (onPhotoPage ? document : viewer).addEventListener("keydown", function (event) {
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    switch (event.key) {
      case "ArrowLeft": event.preventDefault(); step(-1); break;
      case "ArrowRight": event.preventDefault(); step(1); break;
      case "+": case "=": event.preventDefault(); zoomTo(scale * KEY_FACTOR, undefined, undefined, true); sharpen(); break;
      case "-": case "_": event.preventDefault(); zoomTo(scale / KEY_FACTOR, undefined, undefined, true); break;
      case "0": event.preventDefault(); reset(true); break;
      case "Escape":
        if (openMenu()) {
          const menu = openMenu();
          event.preventDefault(); escapeReset = true; closeMenu(); menu.querySelector("summary").focus();
        } else if (scale > 1) {
          event.preventDefault(); escapeReset = true; reset(true);
        } else if (onPhotoPage) {
          const close = viewer.querySelector("a.viewer-close");
          if (close) location.href = close.href;
        }
        break;
    }
  });
  // The dialog's own Escape (its cancel) gives way when Escape closed the menu or the zoom.
  viewer.addEventListener("cancel", function (event) {
    if (escapeReset) event.preventDefault();
    escapeReset = false;
  });
  viewer.addEventListener("keyup", function () { escapeReset = false; });

  document.addEventListener("pointerdown", function (event) {
    menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) menus.forEach(function (other) { if (other !== menu) other.open = false; });
    });
  });

  // The gallery page's download menu: the tile's download until the photo's page gives
  // its sizes and Info (that page renders them for this visitor, within the gallery's
  // download policy, as it does without JavaScript).
  if (!onPhotoPage && downloadMenu && downloadList) {
    const fallback = Array.from(downloadList.childNodes);
    let photoUrl = "", loadedFor = "";
    viewer.addEventListener("viewer:show", function (event) {
      photoUrl = event.detail && event.detail.tile ? event.detail.tile.href : "";
      loadedFor = "";
      downloadList.replaceChildren.apply(downloadList, fallback);
    });
    downloadMenu.addEventListener("toggle", function () {
      if (!downloadMenu.open || !photoUrl || loadedFor === photoUrl) return;
      const asked = loadedFor = photoUrl;
      fetch(asked, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          if (asked !== photoUrl) return;  // another photo is shown by now
          const page = new DOMParser().parseFromString(html, "text/html");
          const list = page.querySelector("#viewer .viewer-sizes-list");
          if (list) downloadList.replaceChildren.apply(downloadList, Array.from(list.childNodes));
        })
        .catch(function () { if (asked === photoUrl) loadedFor = ""; });  // the tile's download stays
    });
  }
  if (onPhotoPage) {
    viewer.querySelectorAll("a.viewer-step").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        location.replace(link.href);
      });
    });
  }
  viewer.addEventListener("viewer:show", function () {
    closeMenu();
    lastTap = null;
    delete image.dataset.zoomSizes;
    reset(false);
  });
  window.addEventListener("resize", function () { if (scale > 1) reset(false); });
})();
