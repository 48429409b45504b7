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
