// On a narrow screen a wide table scrolls sideways (style.css). Such a table is made reachable with the
// keyboard, so it can be scrolled with the arrow keys; tables that fit the screen stay out of the tab order.
(function () {
  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
