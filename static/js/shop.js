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
  if (window.matchMedia && window.matchMedia("(max-width: 56.24em)").matches) {
    document.querySelectorAll("details[data-collapse-on-phone]").forEach(function (el) {
      if (!el.querySelector(".errorlist")) el.removeAttribute("open");
    });
  }

  // A form that changes something is sent once: a double click on "Buy now" or "Add to
  // cart" sends one request, not two (the server also copes with two). The button stays
  // enabled so its name and value are still sent; a page restored by the back button can
  // send again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.hasAttribute("data-sending")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "");
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.removeAttribute("aria-busy");
    });
  });

  // A form sent back with errors: its summary takes the focus, so a screen reader reads it
  // first and the next Tab goes on from there. A link of the summary to a group of choices
  // (delivery, payment) puts the focus on the group's first choice, as a link to a field does.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target || target.matches("input, select, textarea")) return;
      var field = target.querySelector("input:checked, input:not([type=hidden]), select, textarea");
      // after the browser has scrolled to the section (and let go of the focus)
      if (field) setTimeout(function () { field.focus({ preventScroll: true }); }, 0);
    });
  }

  // Messages after a redirect ("Added to your cart."): a live region's content is not read out
  // when the page loads, so the text goes into an empty one once the page has settled. A page
  // with a form's errors has its summary read instead (it takes the focus above).
  var announce = document.querySelector("[data-announce]");
  var shown = document.querySelector(".messages");
  if (announce && shown && !summary) {
    var text = Array.prototype.map.call(shown.querySelectorAll("li"), function (li) {
      return li.textContent.trim();
    }).join(" ");
    setTimeout(function () { announce.textContent = text; }, 300);
  }

  // Listing filters: changing the sort order submits the form.
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
    });
  });
})();

// Search autocomplete: a combobox with a listbox of suggestions (ARIA 1.2 pattern).
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector("[role=listbox]");
  var status = form.querySelector("[data-suggest-status]");
  var url = form.getAttribute("data-suggest-url");
  var timer = null, active = -1, items = [], lastQuery = "";
  // The request still on its way: a newer one (or a closed list) cancels it. On a slow phone
  // network answers to "sl", "sle", "slee" … queue up behind each other and came in long after
  // anyone wanted them (their suggestions were dropped anyway), holding up the one that counts.
  var pending = null;
  // search/services.py CJK_RUN_RE: kana, CJK ideographs (extension A, unified, compatibility)
  var ONE_CJK = /^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$/;

  function cancel() {
    if (pending) pending.abort();
    pending = null;
  }
  // The combobox roles only come with the script that makes them true: without it the field is
  // a plain search box (aria-expanded on a search box is an ARIA error).
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    items = [];
    active = -1;
  }

  function select(index) {
    items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
    else input.removeAttribute("aria-activedescendant");
  }

  function option(id, text, kind, href, image) {
    var li = document.createElement("li");
    li.id = id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.dataset.href = href;
    if (image) {
      var img = document.createElement("img");
      img.src = image;
      img.alt = "";
      img.width = 40;  // its room is kept while it loads (as in the CSS)
      img.height = 40;
      img.decoding = "async";
      li.appendChild(img);
    }
    var span = document.createElement("span");
    span.textContent = text;
    li.appendChild(span);
    var small = document.createElement("span");
    small.className = "kind";
    small.textContent = kind;
    li.appendChild(small);
    li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = href; });
    return li;
  }

  function render(data) {
    close();
    var n = 0;
    (data.categories || []).forEach(function (c) {
      list.appendChild(option("sugg-" + n++, c.name, "Category", c.url, ""));
    });
    (data.products || []).forEach(function (p) {
      list.appendChild(option("sugg-" + n++, p.name, p.price_text || p.price, p.url, p.image));
    });
    items = Array.prototype.slice.call(list.children);
    status.textContent = n ? n + " suggestion" + (n === 1 ? "" : "s") + ", use the arrow keys to choose" : "No suggestions";
    if (n) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function lookup() {
    var q = input.value.trim();
    // as the server: two characters, or one Chinese/Japanese one (a word of its own)
    if (q.length < 2 && !ONE_CJK.test(q)) { cancel(); close(); status.textContent = ""; return; }
    if (q === lastQuery) return;
    lastQuery = q;
    cancel();
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    fetch(url + "?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined
    })
      .then(function (r) { return r.ok ? r.json() : { categories: [], products: [] }; })
      .then(function (data) {
        if (pending === controller) pending = null;
        if (input.value.trim() === q) render(data);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;  // a newer request took over
        if (pending === controller) pending = null;
        close();
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    lastQuery = lastQuery === input.value.trim() ? "" : lastQuery;
    timer = setTimeout(lookup, 200);
  });
  input.addEventListener("keydown", function (e) {
    // Down on a closed list (after Escape, or back in the field) opens it again
    if (list.hidden && e.key === "ArrowDown" && input.value.trim().length >= 2) {
      e.preventDefault();
      lastQuery = "";
      lookup();
      return;
    }
    if (list.hidden || !items.length) return;
    if (e.key === "ArrowDown") { e.preventDefault(); select((active + 1) % items.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); select(active <= 0 ? items.length - 1 : active - 1); }
    // Escape closes the list only: a search field's own Escape would also wipe what was typed
    else if (e.key === "Escape") { e.preventDefault(); close(); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = items[active].dataset.href; }
  });
  input.addEventListener("blur", function () {
    setTimeout(function () { cancel(); close(); }, 150);
  });
})();
