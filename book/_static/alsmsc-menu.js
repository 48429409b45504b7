/* Make the navigation and page-contents menus open on every screen width.
   Cause (pydata-sphinx-theme issue 2451): pydata-sphinx-theme 0.17 adds its own ".primary-toggle" button to the top bar,
   and sphinx-book-theme 1.3 renders another in the article header. Both themes wire up only the first match of
   document.querySelector(".primary-toggle") (and ".secondary-toggle"), which is the hidden top-bar button, so the
   visible one does nothing when tapped. Here every other toggle forwards its click to the wired one, so the themes'
   own handlers run: the book theme collapses the sidebar on wide screens, pydata-sphinx-theme opens the menu dialog on
   narrow ones. Remove when the pinned themes fix it. */
(function () {
  function forward(selector) {
    const toggles = Array.from(document.querySelectorAll(selector));
    const wired = toggles[0];
    toggles.slice(1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        wired.click();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    forward(".primary-toggle");
    forward(".secondary-toggle");
  });
})();

/* Vega-Embed's chart menu is a <details> whose <summary> holds only an icon: give it a name screen readers can say
   (axe: summary-name). Charts draw after load, so watch for them. */
(function () {
  function name(root) {
    root.querySelectorAll(".vega-embed summary:not([aria-label])").forEach(function (s) {
      s.setAttribute("aria-label", "Chart menu: save as SVG or PNG, view the source");
    });
    // the theme's navigation toggles (an icon only): name them after the part they open
    root.querySelectorAll("summary:not([aria-label])").forEach(function (s) {
      if (!s.textContent.trim()) {
        const link = s.parentElement && s.parentElement.parentElement && s.parentElement.parentElement.querySelector("a");
        s.setAttribute("aria-label", "Show or hide the pages under " + (link ? link.textContent.trim() : "this section"));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    name(document);
    new MutationObserver(function () { name(document); }).observe(document.body, { childList: true, subtree: true });
  });
})();

/* The reference list (sphinxcontrib-bibtex) is a role="list" whose entries carry role="doc-biblioentry", which a list
   may not contain (axe: aria-required-children). Entries become list items; their class still marks them. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach(function (entry) {
    entry.setAttribute("role", "listitem");
  });
});
