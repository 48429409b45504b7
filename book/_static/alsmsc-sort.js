/* Click a column header of any data table (class "alsmsc-table") to sort by it; click again to reverse.
   Hand-written (no dependency) because the book must work offline and the table libraries for Sphinx load from CDNs.
   Numbers sort numerically, "—" (not reported) sorts last, everything else by locale. */
(function () {
  function key(cell) {
    const text = cell.textContent.trim();
    if (text === "—" || text === "") return { empty: true };
    const num = Number(text.replace(/,/g, ""));
    return Number.isFinite(num) ? { num } : { text: text.toLowerCase() };
  }
  function compare(a, b) {
    if (a.empty || b.empty) return (a.empty ? 1 : 0) - (b.empty ? 1 : 0);
    if (a.num !== undefined && b.num !== undefined) return a.num - b.num;
    return String(a.text ?? a.num).localeCompare(String(b.text ?? b.num));
  }
  function makeSortable(table) {
    const body = table.tBodies[0];
    if (!body || !table.tHead) return;
    Array.from(table.tHead.rows[0].cells).forEach(function (th, col) {
      // A real button inside the header cell: screen readers keep the column header (a role on the th would replace
      // it) and the button is reachable and operable from the keyboard without extra code.
      const button = document.createElement("button");
      button.type = "button";
      button.className = "alsmsc-sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      button.title = "Sort by this column";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.from(table.tHead.rows[0].cells).forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        rows.sort(function (r1, r2) {
          const c = compare(key(r1.cells[col]), key(r2.cells[col]));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.alsmsc-table").forEach(makeSortable);
  });
})();
