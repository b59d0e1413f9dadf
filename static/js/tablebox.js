// A table that scrolls sideways in its box (.tablebox, inside .tablebox-wrap) shows that it does:
// the wrapper gets more-right / more-left while columns hide beyond that edge (a shadow there, see
// app.css), and the box's "scroll for more columns" note (.scroll-note) shows while the table is
// wider than its box. Nothing is inline: the page's Content-Security-Policy allows only files.
(function () {
  function update(box) {
    var wrap = box.parentElement;
    var hidden = box.scrollWidth - box.clientWidth;
    var more = hidden > 1;
    wrap.classList.toggle("more-right", more && box.scrollLeft < hidden - 1);
    wrap.classList.toggle("more-left", more && box.scrollLeft > 1);
    var sticky = box.querySelector("thead th:first-child");
    wrap.style.setProperty("--sticky-left", (sticky ? sticky.offsetWidth + 1 : 1) + "px");
    var note = wrap.nextElementSibling;
    if (note && note.classList.contains("scroll-note")) note.classList.toggle("shown", more);
  }
  function init() {
    document.querySelectorAll(".tablebox-wrap > .tablebox").forEach(function (box) {
      update(box);
      box.addEventListener("scroll", function () { update(box); }, { passive: true });
      window.addEventListener("resize", function () { update(box); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
