/* Every trial id, record id or trial name shown in a data table links to the trial's page (the map ALSMSC_LINKS comes
   from the data: _generated/trials/links.json). A cell may hold several ids separated by ";" or ",". */
(function () {
  function root() {
    const r = document.documentElement.dataset.content_root;
    return r !== undefined ? r : (window.DOCUMENTATION_OPTIONS && DOCUMENTATION_OPTIONS.URL_ROOT) || "";
  }
  // In the single-page build (printed into the PDF edition) every page is a part of one page: link to its anchor.
  function href(target, base) {
    if (!(window.DOCUMENTATION_OPTIONS && DOCUMENTATION_OPTIONS.BUILDER === "singlehtml")) return base + target;
    const hash = target.indexOf("#");
    return hash >= 0 ? target.slice(hash) : "#document-" + target.replace(/\.html$/, "");
  }
  function linkCell(cell, links, base) {
    if (cell.children.length) return;  // already marked up
    const parts = cell.textContent.split(/(\s*[;,]\s*)/);
    if (!parts.some(function (p) { return Object.prototype.hasOwnProperty.call(links, p.trim()); })) return;
    const whole = cell.textContent.trim();
    cell.textContent = "";
    (Object.prototype.hasOwnProperty.call(links, whole) ? [whole] : parts).forEach(function (part) {
      const key = part.trim();
      if (key && Object.prototype.hasOwnProperty.call(links, key)) {
        const a = document.createElement("a");
        a.href = href(links[key], base);
        a.textContent = part;
        a.className = "alsmsc-trial-link";
        cell.appendChild(a);
      } else {
        cell.appendChild(document.createTextNode(part));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // links to files the book serves from its root (tables/KEY.csv) work from pages in sub-folders too
    document.querySelectorAll("a.alsmsc-root-link[data-root-href]").forEach(function (a) {
      a.setAttribute("href", root() + a.dataset.rootHref);
    });
    if (typeof ALSMSC_LINKS === "undefined") return;
    const base = root();
    document.querySelectorAll("table.alsmsc-table td").forEach(function (cell) { linkCell(cell, ALSMSC_LINKS, base); });
  });
})();
