// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Product gallery: clicking a thumbnail swaps the main picture instead of opening the file.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-gallery-thumb]");
    if (!link) return;
    var main = document.querySelector("[data-gallery-main]");
    if (!main) return;
    event.preventDefault();
    main.src = link.getAttribute("data-detail");
    main.alt = link.getAttribute("data-alt") || "";
    var zoom = main.closest("a");
    if (zoom) zoom.href = link.href;
    document.querySelectorAll("[data-gallery-thumb]").forEach(function (el) {
      el.setAttribute("aria-current", el === link ? "true" : "false");
    });
  });

  // Listing filters: folded away on phones so products come first (open without JavaScript).
  if (window.matchMedia && window.matchMedia("(max-width: 899px)").matches) {
    document.querySelectorAll("details[data-collapse-on-phone]").forEach(function (el) {
      if (!el.querySelector(".errorlist")) el.removeAttribute("open");
    });
  }

  // Listing filters: changing the sort order submits the form.
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
    });
  });
})();
